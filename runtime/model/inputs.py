"""`recipec predict MODEL INPUT`: the raw samples of INPUT.csv, .npz or .npy as the array
`LoadedModel.predict` takes (then checked there, as `Program.predict` checks them).

A CSV holds one sample per row, as the training file's rows are (a header optional; the
label column, when there, is left out; a text column of the training file gives its
category's one-hot columns, an unknown category none, as training's test rows do). An .npz
gives its `x` array (or its only one), an .npy its one array. Never unpickled.
"""
from __future__ import annotations

import csv
import math
import zipfile
from pathlib import Path

import numpy as np

from ..data.dataset import Data
from ..errors import D001, D002, D003, DataError


def read_inputs(path: str, prep: Data, label: str = "label") -> np.ndarray:
    """The samples of `path` (as given); DataError D001-D003 naming it."""
    file = Path(path)
    if not file.exists():
        raise DataError(f"{path}: no such input file", D001, path)
    if file.is_dir():
        raise DataError(f"{path}: is a folder; predict reads a .csv, .npz or .npy file",
                        D002, path)
    suffix = file.suffix.lower()
    if suffix == ".csv":
        return read_csv_inputs(path, prep, label)
    if suffix in (".npz", ".npy"):
        return _read_numpy(path)
    raise DataError(f"{path}: predict reads .csv, .npz or .npy files", D002, path)


def _read_numpy(path: str) -> np.ndarray:
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as err:
        why = "it may be a pickle, which is never loaded" if "pickle" in str(err).lower() \
            else str(err)
        raise DataError(f"{path}: cannot read it ({why})", D002, path) from None
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise DataError(f"{path}: cannot read it ({err or 'truncated'})", D002, path) from None
    if isinstance(loaded, np.ndarray):
        return loaded
    with loaded as archive:
        keys = list(archive.files)
        key = "x" if "x" in keys else keys[0] if len(keys) == 1 else None
        if key is None:
            raise DataError(f"{path}: holds arrays {keys}; predict reads the one named 'x'",
                            D003, path, hint="np.savez(path, x=samples)")
        return archive[key]


def read_csv_inputs(path: str, prep: Data, label: str = "label") -> np.ndarray:
    """float32 [N, *source_shape] of a CSV of raw rows (NaN for an empty cell)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            lines = [row for row in csv.reader(f) if any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{path}: cannot read it as CSV text ({err})", D002, path) from None
    if not lines:
        raise DataError(f"{path}: holds no rows", D003, path)
    cats = _text_columns(prep)
    width = math.prod(prep.source_shape) - sum(len(v) - 1 for v in cats.values())
    header = None
    if _is_header(lines, cats):
        header, lines = [c.strip() for c in lines[0]], lines[1:]
    drop = None
    if header is not None and label in header:
        drop = header.index(label)
    elif lines and len(lines[0]) == width + 1 and label.lstrip("-").isdigit():
        drop = int(label) % (width + 1)
    names = None if header is None else [h for k, h in enumerate(header) if k != drop]
    rows = []
    for i, row in enumerate(lines):
        cells = [c.strip() for j, c in enumerate(row) if j != drop]
        if len(cells) != width:
            raise DataError(f"{path}: row {i + 1 + (header is not None)} has {len(cells)} "
                            f"feature values; the model takes {width} per row"
                            + (f" (and the label column {label!r}, left out)"
                               if drop is not None else ""), D003, path)
        rows.append(_encode(cells, cats, path, i + 1 + (header is not None), names))
    x = np.asarray(rows, np.float32).reshape(len(rows), -1)
    if x.shape[1] == math.prod(prep.source_shape):
        x = x.reshape((len(x),) + tuple(prep.source_shape))
    return x


def _text_columns(prep: Data) -> dict[int, tuple[str, ...]]:
    """{column of the file: categories} of the training file's text columns."""
    out, folded = {}, 0
    for c in prep.categories:
        out[c.start - folded] = c.values
        folded += len(c.values) - 1
    return out


def _is_header(lines: list[list[str]], cats: dict) -> bool:
    first = [c.strip() for c in lines[0]]
    texts = {j for j, c in enumerate(first) if c and not _number(c)}
    if not texts:
        return False
    if len(lines) == 1:
        return not set(cats) >= texts
    second = {j for j, c in enumerate(lines[1]) if c.strip() and not _number(c.strip())}
    return texts != second


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _encode(cells: list[str], cats: dict, path: str, row: int, header) -> list[float]:
    out: list[float] = []
    for j, cell in enumerate(cells):
        if j in cats:
            out.extend(1.0 if cell == v else 0.0 for v in cats[j])
        elif cell == "":
            out.append(float("nan"))        # missing: predict fills it (impute) or refuses it
        else:
            try:
                out.append(float(cell))
            except ValueError:
                name = f" ({header[j]!r})" if header is not None and j < len(header) else ""
                raise DataError(f"{path}: row {row}, column {j + 1}{name}: {cell!r} is not a "
                                f"number", D003, path) from None
    return out
