"""Readers for the data sources of `compiler.catalog.SOURCES`.

Each reader returns a `RawData`: features as a float64 array [N, *feature_shape] (finite values
only), targets already encoded for the task (int64 [N] class indices, or float32 [N, k]) and the
class names when the labels were strings. Every user-caused problem is a `DataError` whose
message names the file (as given) and what was wrong.
"""
from __future__ import annotations

import csv
import difflib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import D001, D002, D003, D004, DataError

TOY_SOURCES = ("iris", "digits", "wine", "breast_cancer")
TASKS = ("classification", "regression")


@dataclass
class RawData:
    x: np.ndarray                       # [N, *feature_shape], finite: float64, or uint8 (IDX)
    y: np.ndarray                       # int64 [N] (classification) or float32 [N, k] (regression)
    class_names: tuple[str, ...] | None
    num_classes: int | None
    description: str                    # e.g. "digits (scikit-learn, 1797 rows)"
    origin: str                         # how error messages name it: the path as given, or "iris"
    path: str | None = None             # the path as given, for DataError.path
    x_test: np.ndarray | None = None    # the source's own test split (mnist, npz x_test), same
    y_test: np.ndarray | None = None    # encoding as x / y; None when it has none


# --------------------------------------------------------------------------- paths

def resolve_path(path: str, base_dir: str | Path = ".") -> Path:
    """Find `path`: absolute as is; relative against `base_dir` first, then the current folder."""
    p = Path(os.path.expanduser(path))
    if p.is_absolute():
        candidates = [p]
    else:
        candidates = [Path(base_dir) / p]
        if Path.cwd().resolve() != Path(base_dir).resolve():
            candidates.append(Path.cwd() / p)
    for c in candidates:
        if c.exists():
            return c
    looked = " and ".join(str(c.resolve()) for c in candidates)
    msg = f"data file '{path}' not found (looked for {looked})"
    parent = candidates[0].parent
    if parent.is_dir():
        try:
            names = [e.name for e in parent.iterdir()]
        except OSError:
            names = []
        close = difflib.get_close_matches(p.name, names, n=1, cutoff=0.6)
        if close:
            msg += f"; did you mean '{close[0]}'?"
    raise DataError(msg, D001, path)


# --------------------------------------------------------------------------- targets

def encode_targets(y: np.ndarray, task: str, origin: str, path: str | None = None,
                   where: Callable[[int], str] | None = None,
                   class_names: tuple[str, ...] | None = None, min_classes: int = 2
                   ) -> tuple[np.ndarray, int | None, tuple[str, ...] | None]:
    """Check and encode labels for `task`; returns (y, num_classes, class_names).

    String labels become indices into their sorted unique values, which are the class names.

    `y` is numeric (any shape [N, ...]) or, for classification, a string array [N].
    `where(i)` describes row i in messages ("line 7", "row 6").
    `min_classes`: 2 for training data; a test split may hold a single class (1).
    """
    where = where or (lambda i: f"row {i}")
    n = y.shape[0]
    if task == "classification":
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
        if k < min_classes:
            raise DataError(f"{origin}: the labels have only one class (0); classification "
                            f"needs at least 2", D004, path)
        return np.ascontiguousarray(y), k, class_names
    if task == "regression":
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
    raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")


def _first_non_numeric(a: np.ndarray) -> str:
    for s in a.reshape(-1):
        try:
            float(s)
        except ValueError:
            return str(s)
    return ""


def _check_finite(x: np.ndarray, origin: str, path: str | None,
                  where: Callable[[int], str]) -> None:
    finite = np.isfinite(x.reshape(x.shape[0], -1))
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        raise DataError(f"{origin}: feature value {x.reshape(x.shape[0], -1)[i, j]} at "
                        f"{where(int(i))}, feature {int(j)} is not a finite number "
                        f"(NaN/inf are not allowed)", D003, path)


# --------------------------------------------------------------------------- built-in toys

def load_toy(name: str, task: str) -> RawData:
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
    if task == "classification":
        y, k, class_names = encode_targets(target, task, name, class_names=names)
    else:
        y, k, class_names = encode_targets(target.astype(np.float64), task, name)
    return RawData(x, y, class_names, k, f"{name} (scikit-learn, {x.shape[0]} rows)", name)


# --------------------------------------------------------------------------- csv

def _col_desc(j: int, header: list[str] | None) -> str:
    if header is not None:
        return f"column {j + 1} ('{header[j]}')"
    return f"column {j + 1}"


def load_csv(path: str, label: str = "label", header: bool = True, *, task: str = "classification",
             base_dir: str | Path = ".", min_classes: int = 2) -> RawData:
    file = resolve_path(path, base_dir)
    origin = path
    if file.is_dir():
        raise DataError(f"{origin}: is a folder, not a CSV file", D002, path)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with open(file, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for row in reader:
                if not row or all(not c.strip() for c in row):
                    continue                       # blank line
                rows.append([c.strip() for c in row])
                lines.append(reader.line_num)
    except UnicodeDecodeError as e:
        raise DataError(f"{origin}: not a UTF-8 text file (byte {e.start}: {e.reason})",
                        D002, path) from None
    except csv.Error as e:
        raise DataError(f"{origin}: malformed CSV: {e}", D002, path) from None
    except OSError as e:
        raise DataError(f"{origin}: cannot read the file: {e.strerror or e}", D002, path) from None

    if not rows:
        raise DataError(f"{origin}: the file is empty", D003, path)
    names: list[str] | None = None
    if header:
        names = rows[0]
        header_line = lines[0]
        rows, lines = rows[1:], lines[1:]
        if not rows:
            raise DataError(f"{origin}: has a header (line {header_line}) but no data rows",
                            D003, path)
    ncols = len(names) if names is not None else len(rows[0])
    for r, ln in zip(rows, lines):
        if len(r) != ncols:
            what = "the header has" if names is not None else f"line {lines[0]} has"
            raise DataError(f"{origin}: line {ln} has {len(r)} columns but {what} {ncols}",
                            D003, path)
    if ncols < 2:
        hint = ""
        sample = (names or rows[0])[0]
        for d, dn in ((";", "semicolons"), ("\t", "tabs")):
            if d in sample:
                hint = f" (the values look separated by {dn}; only commas are supported)"
        raise DataError(f"{origin}: needs at least one feature column and one label column, "
                        f"found {ncols} column{'s' if ncols != 1 else ''}{hint}", D003, path)

    li = _label_index(label, names, ncols, origin, path, rows)
    table = np.array(rows, dtype=str)
    feat_cols = [j for j in range(ncols) if j != li]
    feats = table[:, feat_cols]
    try:
        x = feats.astype(np.float64)
    except ValueError:
        x = None
    if x is None:                                  # find the first bad cell for the message
        for i in range(feats.shape[0]):
            for jj, j in enumerate(feat_cols):
                cell = feats[i, jj]
                try:
                    float(cell)
                except ValueError:
                    what = "empty cell (missing value)" if cell == "" else f"non-numeric value {cell!r}"
                    hint = ""
                    if names is None and i == 0:
                        hint = " (if line 1 is a header, set header=true)"
                    raise DataError(f"{origin}: {what} at line {lines[i]}, "
                                    f"{_col_desc(j, names)}; feature columns must be numbers"
                                    f"{hint}", D003, path) from None
        raise DataError(f"{origin}: feature columns must be numbers", D003, path)  # unreachable
    finite = np.isfinite(x)
    if not finite.all():
        i, jj = np.argwhere(~finite)[0]
        raise DataError(f"{origin}: {feats[i, jj]!r} at line {lines[i]}, "
                        f"{_col_desc(feat_cols[jj], names)} is not a finite number "
                        f"(NaN/inf are not allowed)", D003, path)
    y, k, class_names = encode_targets(table[:, li], task, origin, path,
                                       where=lambda i: f"line {lines[i]}",
                                       min_classes=min_classes)
    desc = f"csv {path} ({x.shape[0]} rows, {x.shape[1]} features)"
    return RawData(x, y, class_names, k, desc, origin, path)


def _label_index(label: str, names: list[str] | None, ncols: int, origin: str,
                 path: str, rows: list[list[str]]) -> int:
    label = str(label).strip()
    if names is not None and label in names:
        if names.count(label) > 1:
            raise DataError(f"{origin}: the header names column '{label}' more than once; "
                            f"give the label column's 0-based index instead", D004, path)
        return names.index(label)
    if label.lower() == "last":
        return ncols - 1
    if label.lower() == "first":
        return 0
    try:
        idx = int(label)
    except ValueError:
        idx = None
    if idx is not None:
        if not -ncols <= idx < ncols:
            raise DataError(f"{origin}: label column index {idx} is out of range: the file has "
                            f"{ncols} columns (0..{ncols - 1}, or -1 for the last)", D004, path)
        return idx % ncols
    if names is None:
        raise DataError(f"{origin}: label='{label}' names a column, but the file has no header "
                        f"(header=false); give the label column's 0-based index, e.g. "
                        f"label=\"{ncols - 1}\" or label=\"last\"", D004, path)
    msg = f"{origin}: no label column '{label}'"
    close = difflib.get_close_matches(label, names, n=1, cutoff=0.5)
    if not close:
        low = {n.lower(): n for n in names}
        if label.lower() in low:
            close = [low[label.lower()]]
    if close:
        msg += f"; did you mean '{close[0]}'?"
    shown = ", ".join(f"'{n}'" for n in names[:12]) + (", ..." if len(names) > 12 else "")
    msg += f" (columns: {shown})"
    if _looks_numeric(names):
        msg += "; the first line looks like data: if the file has no header, set header=false"
    raise DataError(msg, D004, path)


def _looks_numeric(cells: list[str]) -> bool:
    try:
        for c in cells:
            float(c)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- npz

def load_npz(path: str, x: str = "x", y: str = "y", x_test: str = "", y_test: str = "", *,
             task: str = "classification", base_dir: str | Path = ".",
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


def _npz_rows(xa: np.ndarray, ya: np.ndarray, x: str, y: str, task: str, origin: str,
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
    _check_finite(xa, origin, path, lambda i: f"row {i}")
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


# --------------------------------------------------------------------------- test labels

def reconcile_labels(train: RawData, test: RawData, task: str, origin: str,
                     path: str | None) -> tuple[np.ndarray, int | None, tuple[str, ...] | None]:
    """Test targets re-encoded to the training data's classes; (y_test, num_classes, names).

    String classes are matched by name; numeric class indices are kept and widen num_classes
    when the test data holds a higher one.
    """
    if task != "classification":
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
            if unknown:
                raise DataError(f"{origin}: test label {unknown[0]!r} is not a class of the "
                                f"training data (classes: {', '.join(map(repr, names))})",
                                D004, path)
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


# --------------------------------------------------------------------------- IDX / MNIST

def _idx_file(path: str, base_dir: str | Path) -> Path:
    file = resolve_path(path, base_dir)
    if file.is_dir():
        raise DataError(f"{path}: is a folder, not an IDX file", D002, path)
    return file


def _images_to_x(images: np.ndarray) -> np.ndarray:
    """[N, rows, cols] -> [N, 1, rows, cols] (one channel); other ranks as they are."""
    return images[:, None] if images.ndim == 3 else images


def _idx_targets(labels: np.ndarray, task: str, origin: str, path: str,
                 num_classes: int | None = None, min_classes: int = 2
                 ) -> tuple[np.ndarray, int | None]:
    if task == "classification" and num_classes is not None:
        return np.ascontiguousarray(labels, dtype=np.int64), num_classes
    y, k, _ = encode_targets(labels, task, origin, path, min_classes=min_classes)
    return y, k


def load_idx(images: str, labels: str, *, task: str = "classification",
             base_dir: str | Path = ".", min_classes: int = 2) -> RawData:
    """One (images, labels) pair of IDX files; images of any size, all rows for training."""
    from .idx import read_pair

    x, y = read_pair(_idx_file(images, base_dir), _idx_file(labels, base_dir), images, labels)
    if x.dtype.kind == "f":
        _check_finite(x, images, images, lambda i: f"image {i}")
    yy, k = _idx_targets(y, task, labels, labels, min_classes=min_classes)
    x = _images_to_x(x)
    desc = f"idx {images} ({x.shape[0]} rows, features {tuple(x.shape[1:])})"
    return RawData(x, yy, None, k, desc, images, images)


def load_mnist(path: str, *, task: str = "classification",
               base_dir: str | Path = ".") -> RawData:
    """MNIST from a folder of its four IDX files: 60000 training and 10000 test images."""
    from .idx import MNIST_FILES, find_mnist_files, read_pair

    p = Path(os.path.expanduser(path))
    folder = p if p.is_absolute() else Path(base_dir) / p
    if not p.is_absolute() and not folder.is_dir() and (Path.cwd() / p).is_dir():
        folder = Path.cwd() / p
    if folder.is_file():
        raise DataError(f"mnist: '{path}' is a file; mnist(path) takes the folder that holds "
                        f"{', '.join(MNIST_FILES.values())} (gzipped or not)", D002, path)
    files = find_mnist_files(folder, path)

    def shown(key: str) -> str:
        return str(Path(path) / files[key].name)

    parts = []
    for split in ("train", "test"):
        xi, yi = f"{split}_images", f"{split}_labels"
        x, y = read_pair(files[xi], files[yi], shown(xi), shown(yi), num_classes=10)
        if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
            raise DataError(f"{shown(xi)}: MNIST images must be 28 x 28 uint8, this file holds "
                            f"{' x '.join(map(str, x.shape[1:]))} {x.dtype} images (use "
                            f"idx(images = ..., labels = ...) for other IDX data)", D003,
                            shown(xi))
        yy, _ = _idx_targets(y, task, shown(yi), shown(yi), num_classes=10)
        parts.append((_images_to_x(x), yy))
    (x, y), (xt, yt) = parts
    desc = f"mnist {path} ({x.shape[0]} train + {xt.shape[0]} test images, 1 x 28 x 28)"
    return RawData(x, y, None, 10 if task == "classification" else None, desc, "mnist",
                   path, x_test=xt, y_test=yt)


# --------------------------------------------------------------------------- dispatch

def load_source(call: Any, task: str, base_dir: str | Path = ".", *,
                min_classes: int = 2) -> RawData:
    """Read the source of a checked `Call` (kind + options) for `task`.

    `min_classes=1` for a test-only source (`data { test = ... }`), whose labels may all be
    of one class."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    kind, opts = call.kind, dict(call.options)
    if kind in TOY_SOURCES:
        return load_toy(kind, task)
    if kind == "csv":
        return load_csv(opts["path"], opts.get("label", "label"), bool(opts.get("header", True)),
                        task=task, base_dir=base_dir, min_classes=min_classes)
    if kind == "npz":
        return load_npz(opts["path"], opts.get("x", "x"), opts.get("y", "y"),
                        opts.get("x_test") or "", opts.get("y_test") or "",
                        task=task, base_dir=base_dir, min_classes=min_classes)
    if kind == "mnist":
        return load_mnist(opts["path"], task=task, base_dir=base_dir)
    if kind == "idx":
        return load_idx(opts["images"], opts["labels"], task=task, base_dir=base_dir,
                        min_classes=min_classes)
    raise ValueError(f"unknown data source {kind!r}")
