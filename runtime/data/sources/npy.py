"""NumPy .npy arrays, one file for the features and one for the labels, memory-mapped.

`npy(x = "x.npy", y = "y.npy")`: the features are mapped (`mmap_mode="r"`), never read whole
here: their values are checked a block at a time, and the data is copied into memory only
when it fits the recipe's memory budget (rows.py); beyond it, training reads the mapped rows
a chunk at a time. Object arrays (which need pickle) are refused, never loaded.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ....compiler.tasks import CLASSIFICATION, Task
from ...errors import D002, D003, D004, DataError
from ..raw import IMPUTE_HINT, RawData, not_finite, resolve_path
from ..targets import encode_targets, reconcile_labels
from . import register_reader

CHECK_BLOCK_ELEMENTS = 1 << 22      # values checked for NaN/inf at a time


def load_npy(x: str, y: str, x_test: str = "", y_test: str = "", *,
             task: Task | str = CLASSIFICATION, base_dir: str | Path = ".",
             min_classes: int = 2) -> RawData:
    """Features `x` (mapped) and labels `y`; with `x_test` and `y_test` a test split too."""
    x_test, y_test = x_test or "", y_test or ""
    if bool(x_test) != bool(y_test):
        given, other = ("x_test", "y_test") if x_test else ("y_test", "x_test")
        raise DataError(f"npy: option {given} is set but {other} is not; give both or neither",
                        D003, x_test or y_test)
    train = _pair(x, y, task, base_dir, min_classes)
    if not x_test:
        return train
    test = _pair(x_test, y_test, task, base_dir, 1)
    if test.x.shape[1:] != train.x.shape[1:]:
        raise DataError(f"{x_test}: test features have shape {list(test.x.shape[1:])} per row "
                        f"but {x} has {list(train.x.shape[1:])}", D003, x_test)
    yt, k, _ = reconcile_labels(train, test, task, f"{y_test}", y_test)
    train.num_classes, train.x_test, train.y_test = k, test.x, yt
    train.description = (f"npy {x} ({train.x.shape[0]} rows + {test.x.shape[0]} test rows, "
                         f"features {tuple(train.x.shape[1:])})")
    return train


def _pair(x: str, y: str, task: Task | str, base_dir: str | Path, min_classes: int) -> RawData:
    xa = _array(x, base_dir, "features", D003, mapped=True)
    ya = _array(y, base_dir, "labels", D004, mapped=False)
    if xa.ndim == 0 or ya.ndim == 0:
        which, code = (x, D003) if xa.ndim == 0 else (y, D004)
        raise DataError(f"{which}: the array is a scalar; expected one entry per row", code,
                        which)
    if xa.shape[0] != ya.shape[0]:
        raise DataError(f"{x} has {xa.shape[0]} rows but {y} has {ya.shape[0]}; they must have "
                        f"the same length", D003, x)
    if xa.shape[0] == 0:
        raise DataError(f"{x}: the array is empty (0 rows)", D003, x)
    if xa.dtype.kind not in "biuf":
        raise DataError(f"{x}: features must be a numeric array, got dtype {xa.dtype}", D003, x)
    if xa.dtype.kind == "b":
        xa = xa.view(np.uint8)
    if xa.ndim == 1:
        xa = xa.reshape(-1, 1)
    if xa[0].size == 0:
        raise DataError(f"{x}: features have no values per row (shape {list(xa.shape)})",
                        D003, x)
    _check_finite(xa, x)
    yy, k, names = encode_targets(ya, task, y, y, where=lambda i: f"row {i}",
                                  min_classes=min_classes)
    desc = f"npy {x} ({xa.shape[0]} rows, features {tuple(xa.shape[1:])}, {xa.dtype}, mapped)"
    return RawData(xa, yy, names, k, desc, x, x)


def _array(path: str, base_dir: str | Path, what: str, code: str, mapped: bool) -> np.ndarray:
    file = resolve_path(path, base_dir)
    if file.is_dir():
        raise DataError(f"{path}: is a folder, not an .npy file ({what})", D002, path)
    try:
        with open(file, "rb") as f:
            magic = f.read(6)
    except OSError as e:
        raise DataError(f"{path}: cannot read the file: {e.strerror or e}", D002, path) from None
    if magic[:4] == b"PK\x03\x04":
        raise DataError(f"{path}: is an .npz archive, not a single .npy array", D002, path,
                        hint=f'use npz("{path}", x = ..., y = ...)')
    if magic != b"\x93NUMPY":
        what = "an empty file" if not magic else "it does not start with NumPy's .npy header"
        raise DataError(f"{path}: not a .npy file ({what})", D002, path,
                        hint="write it with np.save(path, array)")
    try:
        arr = np.load(file, mmap_mode="r" if mapped else None, allow_pickle=False)
    except ValueError as e:
        text = str(e).lower()
        if "pickle" in text or "object" in text:
            raise DataError(f"{path}: holds pickled or object data, which is never loaded; save "
                            f"a plain numeric array with np.save", code, path) from None
        if "mmap length" in text or "cannot reshape" in text or "size" in text:
            raise DataError(f"{path}: truncated .npy file ({e})", D002, path) from None
        raise DataError(f"{path}: not a .npy file ({e})", D002, path) from None
    except (EOFError, OSError) as e:
        why = getattr(e, "strerror", None) or e or "truncated"
        raise DataError(f"{path}: cannot read the file: {why}", D002, path) from None
    return arr


def _check_finite(x: np.ndarray, path: str) -> None:
    """NaN/inf refused, a block of rows at a time (the file stays mapped, not read whole)."""
    if x.dtype.kind != "f":
        return
    flat = x.reshape(x.shape[0], -1)
    rows = max(1, CHECK_BLOCK_ELEMENTS // flat.shape[1])
    for start in range(0, flat.shape[0], rows):
        block = flat[start:start + rows]
        bad = not_finite(block)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise DataError(f"{path}: feature value {block[i, j]} at row {start + int(i)}, "
                            f"feature {int(j)} is not a finite number (NaN/inf are not "
                            f"allowed)", D003, path,
                            hint=IMPUTE_HINT if np.isnan(block[i, j]) else None)
        too_big = np.abs(np.nan_to_num(block, nan=0.0)).max() > np.finfo(np.float32).max
        if x.dtype.itemsize > 4 and too_big:
            i, j = np.argwhere(np.abs(block) > np.finfo(np.float32).max)[0]
            raise DataError(f"{path}: feature value {block[i, j]} at row {start + int(i)}, "
                            f"feature {int(j)} is beyond float32's range", D003, path)


register_reader("npy", lambda options, *, task, base_dir, min_classes: load_npy(
    options["x"], options["y"], options["x_test"] or "", options["y_test"] or "", task=task,
    base_dir=base_dir, min_classes=min_classes))
