"""Labels encoded for the task the loss implies, and a test split's labels matched to the
training data's classes.

With `Task.class_labels` the labels become int64 class indices (string labels: indices into
their sorted unique values, which are the class names); otherwise float32 targets [N, k].
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ...compiler.tasks import Task, as_task
from ..errors import D004, DataError
from .raw import RawData


def encode_targets(y: np.ndarray, task: Task | str, origin: str, path: str | None = None,
                   where: Callable[[int], str] | None = None,
                   class_names: tuple[str, ...] | None = None, min_classes: int = 2
                   ) -> tuple[np.ndarray, int | None, tuple[str, ...] | None]:
    """Check and encode labels for `task`; returns (y, num_classes, class_names).

    String labels become indices into their sorted unique values, which are the class names.

    `y` is numeric (any shape [N, ...]) or, for class labels, a string array [N].
    `where(i)` describes row i in messages ("line 7", "row 6").
    `min_classes`: 2 for training data; a test split may hold a single class (1).
    """
    where = where or (lambda i: f"row {i}")
    n = y.shape[0]
    if as_task(task).class_labels:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(f"{origin}: classification labels must be one class index per row, "
                            f"got an array of shape {tuple(y.shape)}", D004, path)
        if y.dtype.kind in "US":
            y = y.astype(str)
            empty = np.flatnonzero(np.char.str_len(y) == 0)
            if empty.size:
                raise DataError(f"{origin}: empty label at {where(int(empty[0]))}", D004, path)
            try:                                   # numbers written as text: "0", "1.0", ...
                y = y.astype(np.float64)
            except ValueError:
                names, codes = np.unique(y, return_inverse=True)
                names = tuple(str(s) for s in names)
                _check_binary(task, len(names), origin, path, names)
                if len(names) < min_classes:
                    raise DataError(f"{origin}: the labels have only one class ({names[0]!r}); "
                                    f"classification needs at least 2", D004, path)
                return codes.reshape(-1).astype(np.int64), len(names), names
        if y.dtype.kind == "b":
            y = y.astype(np.int64)
        if y.dtype.kind not in "iuf":
            raise DataError(f"{origin}: labels must be numbers or strings, got dtype {y.dtype}",
                            D004, path)
        if y.dtype.kind == "f":
            bad = np.flatnonzero(~np.isfinite(y))
            if bad.size:
                raise DataError(f"{origin}: label {y[bad[0]]} at {where(int(bad[0]))} is not a "
                                f"finite number", D004, path)
            bad = np.flatnonzero(y != np.round(y))
            if bad.size:
                raise DataError(f"{origin}: label {y[bad[0]]:g} at {where(int(bad[0]))} is not an "
                                f"integer class index (classification labels must be integers "
                                f">= 0; use an mse loss for continuous targets)", D004, path)
            if np.abs(y).max(initial=0) > 2**53:
                raise DataError(f"{origin}: labels are too large to be class indices", D004, path)
        bad = np.flatnonzero(y < 0)
        if bad.size:
            raise DataError(f"{origin}: label {y[bad[0]]:g} at {where(int(bad[0]))} is negative "
                            f"(class indices must be >= 0)", D004, path)
        y = y.astype(np.int64)
        if class_names is not None:
            k = len(class_names)
            if n and y.max() >= k:
                i = int(np.argmax(y >= k))
                raise DataError(f"{origin}: label {y[i]} at {where(i)} is out of range for "
                                f"{k} classes", D004, path)
        else:
            k = int(y.max()) + 1 if n else 0
            if k > 2 and as_task(task).max_classes == 2:
                i = int(np.argmax(y > 1))
                raise DataError(f"{origin}: label {y[i]} at {where(i)} is not 0 or 1 "
                                f"(binary_cross_entropy's labels are 0 and 1)", D004, path,
                                hint="use cross_entropy and dense(C) for C classes")
        if k < min_classes:
            raise DataError(f"{origin}: the labels have only one class (0); classification "
                            f"needs at least 2", D004, path)
        return np.ascontiguousarray(y), k, class_names
    # float targets, one row of k values per sample
    if y.dtype.kind in "US":
        try:
            y = y.astype(np.float64)
        except ValueError:
            raise DataError(f"{origin}: regression targets must be numbers, found "
                            f"{_first_non_numeric(y)!r}", D004, path) from None
    if y.dtype.kind == "b":
        y = y.astype(np.float64)
    if y.dtype.kind not in "iuf":
        raise DataError(f"{origin}: regression targets must be numbers, got dtype {y.dtype}",
                        D004, path)
    y = y.reshape(n, -1) if y.ndim != 1 else y.reshape(n, 1)
    bad = np.flatnonzero(~np.isfinite(y).all(axis=1))
    if bad.size:
        raise DataError(f"{origin}: target at {where(int(bad[0]))} is NaN or infinite",
                        D004, path)
    return np.ascontiguousarray(y, dtype=np.float32), None, None


def _check_binary(task, k: int, origin: str, path: str | None, names) -> None:
    """A binary task's string labels must name exactly two classes (0 and 1 by sorted name)."""
    if as_task(task).max_classes == 2 and k > 2:
        listed = ", ".join(map(repr, names[:5])) + (", ..." if k > 5 else "")
        raise DataError(f"{origin}: the labels name {k} classes ({listed}); "
                        f"binary_cross_entropy needs exactly 2", D004, path,
                        hint="use cross_entropy and dense(C) for C classes")


def _first_non_numeric(a: np.ndarray) -> str:
    for s in a.reshape(-1):
        try:
            float(s)
        except ValueError:
            return str(s)
    return ""


def reconcile_labels(train: RawData, test: RawData, task: Task | str, origin: str,
                     path: str | None) -> tuple[np.ndarray, int | None, tuple[str, ...] | None]:
    """Test targets re-encoded to the training data's classes; (y_test, num_classes, names).

    Named classes (string labels, image class folders) are matched by name, so a test set may
    lack some classes or list them in another order; numeric class indices are kept and widen
    num_classes when the test data holds a higher one.
    """
    if not as_task(task).class_labels:
        if test.y.shape[1:] != train.y.shape[1:]:
            raise DataError(f"{origin}: test targets have {test.y.shape[1]} values per row but "
                            f"the training targets have {train.y.shape[1]}", D004, path)
        return test.y, None, None
    k, names = train.num_classes, train.class_names
    y = test.y
    if test.class_names is not None and names is not None:
        if tuple(test.class_names) != tuple(names):
            index = {n: i for i, n in enumerate(names)}
            unknown = [n for n in test.class_names if n not in index]
            if unknown:     # a label of a CSV, a class folder of images(...)
                more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
                listed = ", ".join(map(repr, names[:10])) + (
                    f", ... ({len(names)} in all)" if len(names) > 10 else "")
                raise DataError(f"{origin}: test class {unknown[0]!r}{more} is not a class of "
                                f"the training data (classes: {listed})", D004, path)
            y = np.array([index[n] for n in test.class_names], np.int64)[y]
        return np.ascontiguousarray(y, dtype=np.int64), k, names
    if test.class_names is not None and names is None:
        raise DataError(f"{origin}: test labels are strings ({test.class_names[0]!r}, ...) but "
                        f"the training labels are class indices", D004, path)
    if names is not None:
        if y.size and int(y.max()) >= len(names):
            i = int(np.argmax(y >= len(names)))
            raise DataError(f"{origin}: test label {int(y[i])} at row {i} is out of range for "
                            f"the {len(names)} training classes", D004, path)
        return np.ascontiguousarray(y, dtype=np.int64), k, names
    k_test = int(y.max()) + 1 if y.size else 0
    return np.ascontiguousarray(y, dtype=np.int64), max(k or 0, k_test), None


