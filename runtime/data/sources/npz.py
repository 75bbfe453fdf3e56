"""A NumPy .npz archive: arrays `x`, `y` and optionally a test split (never unpickled)."""
from __future__ import annotations

import difflib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ....compiler.tasks import CLASSIFICATION, Task
from ...errors import D002, D003, D004, DataError
from ..raw import RawData, check_finite, resolve_path
from ..targets import encode_targets, reconcile_labels
from . import register_reader


def load_npz(path: str, x: str = "x", y: str = "y", x_test: str = "", y_test: str = "", *,
             task: Task | str = CLASSIFICATION, base_dir: str | Path = ".",
             min_classes: int = 2) -> RawData:
    """Arrays `x`, `y` of an .npz archive; with `x_test` and `y_test` also a test split."""
    x_test, y_test = x_test or "", y_test or ""
    if bool(x_test) != bool(y_test):
        given, other = ("x_test", "y_test") if x_test else ("y_test", "x_test")
        raise DataError(f"{path}: npz option {given} is set but {other} is not; give both "
                        f"(e.g. x_test=\"x_test\", y_test=\"y_test\") or neither", D003, path)
    file = resolve_path(path, base_dir)
    origin = path
    if file.is_dir():
        raise DataError(f"{origin}: is a folder, not an .npz archive", D002, path)
    try:
        loaded = np.load(file, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise DataError(f"{origin}: not an .npz archive (the file is not a zip; it may be a "
                            f"pickle, which is never loaded)", D002, path) from None
        raise DataError(f"{origin}: cannot read the archive: {e}", D002, path) from None
    except (zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{origin}: corrupt .npz archive ({e or 'truncated'})", D002, path) from None
    except OSError as e:
        raise DataError(f"{origin}: cannot read the file: {e.strerror or e}", D002, path) from None
    if isinstance(loaded, np.ndarray):
        raise DataError(f"{origin}: is a single .npy array, not an .npz archive with "
                        f"'{x}' and '{y}' arrays (save with np.savez(path, {x}=..., {y}=...))",
                        D002, path)
    with loaded as archive:
        keys = list(archive.files)
        xa = _npz_array(archive, x, keys, "features", origin, path, D003)
        ya = _npz_array(archive, y, keys, "labels", origin, path, D004)
        if x_test:
            xt = _npz_array(archive, x_test, keys, "test features", origin, path, D003)
            yt = _npz_array(archive, y_test, keys, "test labels", origin, path, D004)
    train = _npz_rows(xa, ya, x, y, task, origin, path, min_classes)
    if not x_test:
        return train
    test = _npz_rows(xt, yt, x_test, y_test, task, origin, path, 1)
    if test.x.shape[1:] != train.x.shape[1:]:
        raise DataError(f"{origin}: test features '{x_test}' have shape {tuple(test.x.shape[1:])} "
                        f"per row but '{x}' has {tuple(train.x.shape[1:])}", D003, path)
    yt_enc, k, names = reconcile_labels(train, test, task, f"{origin} ('{y_test}')", path)
    train.num_classes, train.x_test, train.y_test = k, test.x, yt_enc
    train.description = (f"npz {path} ({train.x.shape[0]} rows + {test.x.shape[0]} test rows, "
                         f"features {tuple(train.x.shape[1:])})")
    return train


def _npz_rows(xa: np.ndarray, ya: np.ndarray, x: str, y: str, task: Task | str, origin: str,
              path: str, min_classes: int = 2) -> RawData:
    if xa.ndim == 0 or ya.ndim == 0:
        which = x if xa.ndim == 0 else y
        raise DataError(f"{origin}: array '{which}' is a scalar; expected one entry per row",
                        D003 if xa.ndim == 0 else D004, path)
    if xa.shape[0] != ya.shape[0]:
        raise DataError(f"{origin}: '{x}' has {xa.shape[0]} rows but '{y}' has {ya.shape[0]}; "
                        f"they must have the same length", D003, path)
    if xa.shape[0] == 0:
        raise DataError(f"{origin}: the arrays are empty (0 rows)", D003, path)
    if xa.dtype.kind == "b":
        xa = xa.astype(np.float64)
    if xa.dtype.kind not in "iuf":
        raise DataError(f"{origin}: features '{x}' must be a numeric array, got dtype {xa.dtype}",
                        D003, path)
    xa = xa.astype(np.float64)
    if xa.ndim == 1:
        xa = xa.reshape(-1, 1)
    if xa[0].size == 0:
        raise DataError(f"{origin}: features '{x}' have no values per row (shape "
                        f"{tuple(xa.shape)})", D003, path)
    check_finite(xa, origin, path, lambda i: f"row {i}")
    yy, k, class_names = encode_targets(ya, task, origin, path, where=lambda i: f"row {i}",
                                        min_classes=min_classes)
    desc = f"npz {path} ({xa.shape[0]} rows, features {tuple(xa.shape[1:])})"
    return RawData(xa, yy, class_names, k, desc, origin, path)


def _npz_array(archive: Any, key: str, keys: list[str], what: str, origin: str, path: str,
               code: str) -> np.ndarray:
    if key not in keys:
        avail = ", ".join(f"'{k}'" for k in keys) or "none"
        msg = f"{origin}: no array '{key}' ({what}) in the archive; available: {avail}"
        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
        if close:
            msg += f"; did you mean '{close[0]}'?"
        raise DataError(msg, code, path)
    try:
        arr = archive[key]
    except ValueError as e:
        if "pickle" in str(e).lower() or "object" in str(e).lower():
            raise DataError(f"{origin}: array '{key}' is an object array, which needs pickle and "
                            f"is never loaded; save plain numeric arrays", code, path) from None
        raise DataError(f"{origin}: cannot read array '{key}': {e}", D002, path) from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as e:
        raise DataError(f"{origin}: corrupt .npz archive, cannot read array '{key}' ({e})",
                        D002, path) from None
    if not isinstance(arr, np.ndarray):      # numpy hands back raw bytes for a non-.npy member
        raise DataError(f"{origin}: corrupt .npz archive: member '{key}' is not a .npy array",
                        D002, path)
    return arr


register_reader("npz", lambda options, *, task, base_dir, min_classes: load_npz(
    options["path"], options["x"], options["y"], options["x_test"] or "",
    options["y_test"] or "", task=task, base_dir=base_dir, min_classes=min_classes))
