"""scikit-learn's bundled toy data sets: iris, digits, wine, breast_cancer (no network)."""
from __future__ import annotations

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
    try:
        from sklearn import datasets          # slow import: only when a toy set is asked for
    except ImportError as e:                  # pragma: no cover - sklearn is a dependency
        raise DataError(f"{name}: the built-in data sets need scikit-learn "
                        f"(pip install scikit-learn): {e}", D002) from None
    bunch = getattr(datasets, f"load_{name}")()
    x = np.asarray(bunch.data, dtype=np.float64)
    target = np.asarray(bunch.target)
    names = tuple(str(s) for s in bunch.target_names)
    if task.class_labels:
        y, k, class_names = encode_targets(target, task, name, class_names=names)
    else:   # the class index as a number to fit
        y, k, class_names = encode_targets(target.astype(np.float64), task, name)
    return RawData(x, y, class_names, k, f"{name} (scikit-learn, {x.shape[0]} rows)", name)


def _reader(name: str):
    return lambda options, *, task, base_dir, min_classes: load_toy(name, task)


for _name in TOY_SOURCES:
    register_reader(_name, _reader(_name))
