"""A CSV file of numbers with one label column (by header name, 0-based index, first/last)."""
from __future__ import annotations

import csv
import difflib
from pathlib import Path

import numpy as np

from ....compiler.tasks import CLASSIFICATION, Task
from ...errors import D002, D003, D004, DataError
from ..raw import RawData, resolve_path
from ..targets import encode_targets
from . import register_reader


def _col_desc(j: int, header: list[str] | None) -> str:
    if header is not None:
        return f"column {j + 1} ('{header[j]}')"
    return f"column {j + 1}"


def load_csv(path: str, label: str = "label", header: bool = True, *,
             task: Task | str = CLASSIFICATION, base_dir: str | Path = ".",
             min_classes: int = 2) -> RawData:
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


register_reader("csv", lambda options, *, task, base_dir, min_classes: load_csv(
    options["path"], options["label"], bool(options["header"]), task=task, base_dir=base_dir,
    min_classes=min_classes))
