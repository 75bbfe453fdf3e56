"""Training data: read a recipe's `data` source, split it (seeded) and normalize it.

    data = load_data(recipe.data, task=graphs.task, seed=recipe.split_seed,
                     base_dir=Path(recipe.path).parent)    # or task="classification"
    data.train.x   # float32 [N, *feature_shape]     data.train.y  # int64 [N]
    data.test                                       # Split or None (`test = ...`, mnist, npz x_test)
    x_new = apply_normalization(raw_inputs, data)   # same transform (scale too) for predict()

Every problem with the data itself raises `recipec.runtime.errors.DataError` (codes D001-D004)
whose `key` names the part of the data block it is about; `check_data` (check.py) also checks
the data against the model and points the error at the recipe's text.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...compiler.tasks import TASKS, Task, as_task
from ..errors import D003, DataError, about
from .dataset import Data, Split
from .layout import Conversion, conversion
from .preprocess import (NORMALIZE, apply_normalization, fit_normalization, kfold_indices,
                         normalize_array, split_indices)
from .idx import read_idx, read_images, read_labels
from .cache import on_disk
from .categorical import Category, encode_categories, encode_known, one_hot_mask
from .cleaning import cleaned, drop_missing, fit_cleaning
from .missing import allowing_missing
from .raw import RawData
from .rows import StoredRows, as_float32_values, memory_budget, prepared_bytes
from .sources import load_source
from .sources.csv import load_csv
from .sources.idx import load_idx
from .sources.mnist import load_mnist
from .sources.npz import load_npz
from .sources.toy import load_toy
from .targets import encode_targets, reconcile_labels

__all__ = ["Data", "Split", "DataError", "load_data", "apply_normalization", "build_data",
           "load_source", "load_csv", "load_npz", "load_toy", "load_mnist", "load_idx", "read_idx",
           "read_images", "read_labels", "RawData", "split_indices",
           "fit_normalization", "encode_targets", "NORMALIZE", "TASKS", "Conversion",
           "conversion"]


def load_data(spec: Any, task: Task | str, seed: int, base_dir: str | Path = ".", *,
              cache: bool = True, fold: int | None = None, fitted: Data | None = None
              ) -> Data:
    """Read `spec.source` (a checked DataSpec), split off `spec.validation` and normalize.

    task: the loss's Task (`graphs.task`) or its name: class labels -> int64 0..C-1,
    otherwise targets -> float32 [N, k].
    Relative file paths resolve against `base_dir` (the recipe's folder), then the cwd.
    The test split is `spec.test` when given (all its rows, or its own test split if it has one),
    else the source's own test split (mnist, npz with x_test), else none. Validation rows
    always come from the training part. `cache=False` skips the parsed-data cache (cache.py).
    With `validation = kfold(k)` (spec.folds), `fold` (default 0) is the held-out fold.
    `fitted`: prepare the rows with that Data's categories, cleaning and normalization (a
    model artefact's, runtime/model/) instead of fitting them on the training split.
    """
    task = as_task(task)
    impute, outliers = getattr(spec, "impute", None), getattr(spec, "outliers", None)
    # the readers keep a missing value as NaN only when the recipe says how to fill it
    with allowing_missing(impute is not None):
        with about("source"):
            raw = load_source(spec.source, task, base_dir, cache=cache)
        test_call = getattr(spec, "test", None)
        test = None
        if test_call is not None:
            with about("test"):
                test = load_source(test_call, task, base_dir, min_classes=1, cache=cache)
    return build_data(raw, task, seed, validation=float(spec.validation),
                      normalize=str(spec.normalize), scale=float(getattr(spec, "scale", 1.0)),
                      test=test, reshape=getattr(spec, "reshape", None),
                      layout=getattr(spec, "layout", "chw"),
                      memory=getattr(spec, "memory", "auto"),
                      folds=getattr(spec, "folds", None), fold=fold or 0, impute=impute,
                      outliers=outliers, fitted=fitted)


def build_data(raw: RawData, task: Task | str, seed: int, *, validation: float = 0.0,
               normalize: str = "none", scale: float = 1.0, test: RawData | None = None,
               reshape: tuple[int, ...] | None = None, layout: str = "chw",
               memory: int | str = "auto", folds: int | None = None, fold: int = 0,
               impute: Any = None, outliers: Any = None, fitted: Data | None = None) -> Data:
    """Convert, split and normalize already-read data (deterministic for a given seed).

    `test` (another source's data) replaces `raw`'s own test split; the test rows are
    normalized with the training split's statistics. `reshape` and `layout` convert every
    sample (training and test alike) before anything else (layout.py).
    When the prepared splits would take more than `memory` bytes (rows.py), they stay where
    they are stored (memory-mapped) and are prepared a chunk at a time as training reads them.
    Text columns are one-hot encoded first (categorical.py); `impute` and `outliers` (checked
    calls, or None) are fitted on the training split and applied before normalizing
    (cleaning.py). With `fitted` (a Data, e.g. a model artefact's), its categories, cleaning
    and normalization are applied as they are, nothing is fitted (and `outliers = drop`
    leaves no training row out: which rows it dropped was decided at training).
    """
    task = as_task(task)
    if normalize not in NORMALIZE:
        raise ValueError(f"unknown normalization {normalize!r}; expected one of {NORMALIZE}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    categories: tuple[Category, ...] = ()
    if fitted is not None:
        raw, test, categories = encode_known(raw, test, fitted.categories)
    elif raw.text or (test is not None and test.text):
        raw, test, categories = encode_categories(raw, test)
    notes: list[str] = []
    conv = conversion(raw.x.shape[1:], reshape, layout, raw.description, raw.path)
    num_classes = raw.num_classes
    test_x = test_y = None
    if test is not None:
        with about("test"):
            test_x, test_y, num_classes = _test_part(raw, test, task)
    elif raw.x_test is not None:
        test_x, test_y = raw.x_test, raw.y_test

    total_rows = raw.x.shape[0] + (0 if test_x is None else test_x.shape[0])
    budget = memory_budget(memory)
    streamed = prepared_bytes(total_rows, conv.shape) > budget
    for key, call in (("impute", impute), ("outliers", outliers)):
        if streamed and call is not None and call.kind == "drop":
            raise DataError(f"{raw.origin}: `{key} = drop` leaves rows out, which needs the "
                            f"data in memory, but it exceeds the memory budget and streams "
                            f"from disk", D003, raw.path, key=key,
                            hint="raise `memory = ...`, or fill (impute = median) or clip "
                                 "(outliers = clip(z = 3)) instead")
    if impute is not None and impute.kind == "drop":
        with about("impute"):
            raw, test_x, test_y, note = drop_missing(raw, test_x, test_y)
        notes.append(note)
    with about("validation"):                      # after `impute = drop`: of the rows kept
        if folds:
            tr, va = kfold_indices(raw.y, folds, fold, seed, stratify=task.class_labels,
                                   origin=raw.origin, path=raw.path)
        else:
            tr, va = split_indices(raw.y, validation, seed, stratify=task.class_labels,
                                   origin=raw.origin, path=raw.path)

    if streamed:
        train_x, val_x, test_rows = _stored_splits(raw.x, tr, va, test_x, conv)
        fit_on = train_x
    else:
        # inputs at predict time arrive as float32 too: fit and apply on the float32 values
        # (small integer pixels are exact in float32 and stay compact until normalized)
        x = conv.apply(as_float32_values(raw.x))
        fit_on = x[tr] if va.size else x
    one_hot = conv.apply(one_hot_mask(categories, raw.x.shape[1])[None]
                         if categories else np.zeros((1,) + conv.stored, bool))[0]
    with about("outliers" if outliers is not None else "impute"):
        cleaning, keep = ((fitted.cleaning, None) if fitted is not None else
                          fit_cleaning(fit_on, impute, outliers, one_hot, raw.origin, raw.path))
    if keep is not None:                           # outliers = drop(z): training rows only
        notes.append(f"outliers = drop(z = {outliers['z']:g}): left out {int((~keep).sum())} "
                     f"of {len(keep)} training rows")
        tr = tr[keep]
    if cleaning is not None:
        if streamed:
            train_x, val_x, test_rows = (cleaned(p, cleaning) if p is not None else None
                                         for p in (train_x, val_x, test_rows))
            fit_on = train_x
        else:
            x = cleaning.apply(x)
    if not streamed and (cleaning is not None or keep is not None):
        fit_on = x[tr] if va.size or keep is not None else x
    shift, nscale = ((fitted.norm_shift, fitted.norm_scale) if fitted is not None
                     else fit_normalization(fit_on, normalize, scale))

    def make(xs, y: np.ndarray) -> Split:
        y = np.ascontiguousarray(y, dtype=task.label_dtype)
        if isinstance(xs, StoredRows):
            return Split(xs.normalized(shift, nscale), y)
        return Split(normalize_array(xs, shift, nscale), y)

    if streamed:
        train = make(train_x, raw.y[tr])
        val = make(val_x, raw.y[va]) if va.size else None
        test_split = make(test_rows, test_y) if test_x is not None else None
    else:
        train = make(fit_on, raw.y[tr])
        val = make(x[va], raw.y[va]) if va.size else None
        test_split = (make(cleaned(conv.apply(as_float32_values(test_x)), cleaning), test_y)
                      if test_x is not None else None)

    return Data(
        train=train,
        validation=val,
        test=test_split,
        feature_shape=conv.shape,
        num_classes=num_classes if task.class_labels else None,
        class_names=raw.class_names if task.class_labels else None,
        source=raw.description + (f"; test: {test.description}" if test is not None else ""),
        norm_shift=shift,
        norm_scale=nscale,
        normalize=normalize,
        task=task,
        scale=float(scale),
        conversion=None if conv.identity else conv,
        memory_budget=budget,
        cleaning=cleaning,
        categories=categories,
        notes=tuple(notes),
        feature_names=raw.feature_names if conv.identity and raw.x.ndim == 2 else None,
    )


def _stored_splits(x: np.ndarray, tr: np.ndarray, va: np.ndarray, test_x: np.ndarray | None,
                   conv) -> tuple[StoredRows, StoredRows | None, StoredRows | None]:
    """The splits as rows of the stored arrays, spilled to a memory-mapped file first where a
    source handed them over in memory (cache.py)."""
    stored = on_disk(x)
    train = StoredRows(stored, tr if va.size else None, conv)
    val = StoredRows(stored, va, conv) if va.size else None
    test = StoredRows(on_disk(test_x), None, conv) if test_x is not None else None
    return train, val, test


def _test_part(raw: RawData, test: RawData, task: Task
               ) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(x, y, num_classes) of a `test = ...` source, matched to the training data.

    Its samples must be stored as the training samples are: the recipe's reshape/layout
    then converts both alike (a test set shaped otherwise is not silently reshaped)."""
    if test.x_test is not None:          # a source with its own split: use that split
        part = RawData(test.x_test, test.y_test, test.class_names, test.num_classes,
                       test.description, test.origin, test.path)
    else:
        part = test
    fs = tuple(raw.x.shape[1:])
    xt = part.x
    if tuple(xt.shape[1:]) != fs:
        raise DataError(f"test source {test.origin}: samples have shape "
                        f"{list(xt.shape[1:])} but the training samples ({raw.origin}) have "
                        f"{list(fs)}", D003, test.path, key="test",
                        hint="store the test samples as the training samples are; the data "
                             "block's `reshape`/`layout` then apply to both")
    yt, k, _ = reconcile_labels(raw, part, task, f"test source {test.origin}", test.path)
    return xt, yt, k if task.class_labels else None
