"""scikit-learn's bundled toy data sets: iris, digits, wine, breast_cancer (no network).

The four are small CSV files inside scikit-learn's package, read here with numpy: importing
`sklearn.datasets` takes 2.4 s on these machines (it imports scipy.stats and most of
scikit-learn), four times what the rest of `recipec run recipes/digits_mlp.recipe` needs to
start. The files are found without importing scikit-learn; where one is missing or its header
disagrees with its rows (another scikit-learn layout), scikit-learn's own loader reads it.
tests/test_data.py holds the two readers equal, array for array.
"""
from __future__ import annotations

import gzip
import importlib.util
import os

import numpy as np

from ....compiler.tasks import Task, as_task
from ...errors import D002, DataError
from ..raw import RawData
from ..targets import encode_targets
from . import register_reader

TOY_SOURCES = ("iris", "digits", "wine", "breast_cancer")


def load_toy(name: str, task: Task | str) -> RawData:
    task = as_task(task)
    if name not in TOY_SOURCES:
        raise ValueError(f"unknown built-in data source {name!r}")
    x, target, names = read_bundled(name) or read_with_sklearn(name)
    if task.class_labels:
        y, k, class_names = encode_targets(target, task, name, class_names=names)
    else:   # the class index as a number to fit
        y, k, class_names = encode_targets(target.astype(np.float64), task, name)
    return RawData(x, y, class_names, k, f"{name} (scikit-learn, {x.shape[0]} rows)", name)


# file name and whether it starts with scikit-learn's header line
# "<rows>,<features>,<class name>,..." (digits has none: 64 pixels and the digit per row)
_FILES = {"iris": ("iris.csv", True), "wine": ("wine_data.csv", True),
          "breast_cancer": ("breast_cancer.csv", True), "digits": ("digits.csv.gz", False)}


def _data_folder() -> str | None:
    spec = importlib.util.find_spec("sklearn")        # finds the package, imports nothing
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data")


def read_bundled(name: str):
    """(features float64 [N, F], integer targets [N], class names) from scikit-learn's file,
    or None where the file is not there or not laid out as expected."""
    folder = _data_folder()
    if folder is None:
        return None
    filename, has_header = _FILES[name]
    path = os.path.join(folder, filename)
    try:
        opener = gzip.open if filename.endswith(".gz") else open
        with opener(path, "rt") as f:
            header = f.readline().strip().split(",") if has_header else None
            table = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, ValueError, EOFError):
        return None
    if header is not None:
        try:
            rows, features = int(header[0]), int(header[1])
        except (IndexError, ValueError):
            return None
        names = tuple(header[2:])
        if table.shape != (rows, features + 1) or not names:
            return None
    else:
        names = tuple(str(k) for k in range(10))
    target = table[:, -1]
    if not np.array_equal(target, np.round(target)) or target.min() < 0 \
            or target.max() >= len(names):
        return None
    return np.ascontiguousarray(table[:, :-1]), target.astype(np.int64), names


def read_with_sklearn(name: str):
    try:
        from sklearn import datasets          # slow import: only where the file is not found
    except ImportError as e:                  # pragma: no cover - sklearn is a dependency
        raise DataError(f"{name}: the built-in data sets need scikit-learn "
                        f"(pip install scikit-learn): {e}", D002) from None
    bunch = getattr(datasets, f"load_{name}")()
    return (np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target),
            tuple(str(s) for s in bunch.target_names))


def _reader(name: str):
    return lambda options, *, task, base_dir, min_classes: load_toy(name, task)


for _name in TOY_SOURCES:
    register_reader(_name, _reader(_name))
