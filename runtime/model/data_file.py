"""`recipec eval MODEL --data FILE`: another file's rows, read by the data source readers and
prepared with the model's stored preparation (never fitted on the file).

The file's kind follows its name (.csv, .npz, .parquet, .feather/.arrow, .npy with
`labels`, a folder of class folders for an images recipe); when the recipe's own source is
of that kind, its options (the label column, the array names, the image size) apply, so a
file written like the training file reads alike. Every row is evaluated (a source's own
test split too); class labels are matched to the model's classes by name.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ...compiler import catalog
from ...compiler.recipe import Call, Recipe
from ..data import build_data
from ..data.dataset import Data
from ..data.missing import allowing_missing
from ..data.raw import RawData
from ..data.sources import load_source
from ..data.targets import reconcile_labels
from ..errors import D001, D003, D004, DataError

SUFFIXES = {".csv": "csv", ".npz": "npz", ".parquet": "parquet", ".feather": "feather",
            ".arrow": "feather", ".npy": "npy"}
# options that name another file or split: the recipe's are not the new file's
NOT_CARRIED = {"path", "x_test", "y_test", "x", "y", "images", "labels"}


def source_call(path: str, recipe: Recipe, labels: str | None = None) -> Call:
    """The reader call for `path`, with the recipe's options where its source is that kind."""
    own = recipe.data.source
    p = Path(path)
    kind = "images" if p.is_dir() and own.kind == "images" else SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise DataError(f"{path}: cannot tell the kind of this data file from its name; "
                        f"--data takes {', '.join(SUFFIXES)} files"
                        + (" or a folder of class folders" if own.kind == "images" else ""),
                        D001 if not p.exists() else D003, path)
    options = {k: v for k, v in own.options.items() if k not in NOT_CARRIED} \
        if own.kind == kind else {}
    if kind == "npy":
        if labels is None:
            raise DataError(f"{path}: an .npy file holds the inputs only; give the labels' "
                            f"file with --labels Y.npy", D004, path)
        options.update(x=path, y=labels)
    elif kind == "npz" and own.kind == "npz":   # the recipe's array names, not its test split
        options.update(path=path, x=own.options.get("x", "x"), y=own.options.get("y", "y"))
    else:
        options["path"] = path
    return Call(kind, options, own.span)


def read_data_file(path: str, recipe: Recipe, prep: Data, labels: str | None = None) -> Data:
    """Every row of `path` as the `train` split of a Data prepared by `prep`; DataError
    (D001-D004) naming the file for what does not fit."""
    task = catalog.LOSSES[recipe.loss.kind].task
    spec = recipe.data
    with allowing_missing(getattr(spec, "impute", None) is not None):
        raw = load_source(source_call(path, recipe, labels), task, ".", min_classes=1,
                          cache=False)
    if raw.x_test is not None:                  # a source with its own test split: all rows
        raw = replace(raw, x=np.concatenate([raw.x, raw.x_test]),
                      y=np.concatenate([raw.y, raw.y_test]), x_test=None, y_test=None)
    model = RawData(np.zeros((0,)), prep.train.y, prep.class_names, prep.num_classes,
                    prep.source, "the model's training data")
    y, _, _ = reconcile_labels(model, raw, task, raw.origin, raw.path)
    if task.class_labels:
        classes = task.classes_of(recipe.model.output_shape)
        if y.size and (int(y.max()) >= classes or int(y.min()) < 0):
            i = int(np.argmax((y >= classes) | (y < 0)))
            raise DataError(f"{raw.origin}: label {int(y[i])} at row {i} is not one of the "
                            f"model's {classes} classes (0 to {classes - 1})", D004, raw.path)
    data = build_data(replace(raw, y=y), task, recipe.split_seed, normalize=prep.normalize,
                      scale=prep.scale, reshape=getattr(spec, "reshape", None),
                      layout=getattr(spec, "layout", "chw"),
                      memory=getattr(spec, "memory", "auto"), impute=getattr(spec, "impute", None),
                      outliers=getattr(spec, "outliers", None), fitted=prep)
    if tuple(data.feature_shape) != tuple(prep.feature_shape):
        raise DataError(f"{raw.origin}: samples of shape {list(data.source_shape)} become "
                        f"{list(data.feature_shape)}; the model was trained on "
                        f"{list(prep.source_shape)} ({list(prep.feature_shape)} prepared)",
                        D003, raw.path)
    return data
