"""A CSV file of numbers with one label column (by header name, 0-based index, first/last).

Two readers, one meaning. pyarrow's columnar parser reads a well-formed file block by block
into the float32 rows (arrow_columns.py; 500k rows x 21 columns: 8.7 s through Python's csv
module, cell by cell, about 0.6 s this way, at 2.2x the float32 features' memory;
bench/csv_load.py); the Python reader below reads any file the fast one declines (a cell it would not parse as a
number, a row of another width, a label it cannot encode, a file that does not start with its
header) and is the one that finds and names the exact line and column of every problem. So a
good file is read fast and a bad one is diagnosed exactly as before; both give the same arrays
(tests/test_csv_arrow.py).
"""
from __future__ import annotations

import csv
import difflib
from dataclasses import replace
from pathlib import Path

import numpy as np

from ....compiler.tasks import CLASSIFICATION, Task
from ...errors import D002, D003, D004, DataError
from ..missing import missing_allowed
from ..raw import IMPUTE_HINT, RawData, TextColumn, not_finite, resolve_path
from ..targets import encode_targets
from . import register_reader
from .arrow_columns import Columns, memory_pool

# pyarrow's CSV block: rows are parsed and converted one block at a time. On the 500k-row
# file (bench/csv_load.py) the peak above the interpreter was 76 / 80 / 90 / 110 MiB with
# blocks of 128 KiB / 256 KiB / 512 KiB / 1 MiB (pyarrow reads ahead a few blocks per thread),
# at the same speed within this host's noise.
BLOCK_SIZE = 1 << 18


def _col_desc(j: int, header: list[str] | None) -> str:
    if header is not None:
        return f"column {j + 1} ('{header[j]}')"
    return f"column {j + 1}"


def load_csv(path: str, label: str = "label", header: bool = True, *,
             task: Task | str = CLASSIFICATION, base_dir: str | Path = ".",
             min_classes: int = 2) -> RawData:
    file = resolve_path(path, base_dir)
    if file.is_dir():
        raise DataError(f"{path}: is a folder, not a CSV file", D002, path)
    fast = _read_with_arrow(file, path, label, header, task, min_classes)
    if fast is not None:
        return fast
    return _read_with_python(file, path, label, header, task, min_classes)


def _first_line(file: Path, which: int = 0) -> list[str] | None:
    """Line `which`'s cells (0: the header or first row), or None when it is blank, missing or
    unreadable (then the Python reader decides)."""
    try:
        with open(file, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            row = None
            for _ in range(which + 1):
                row = next(reader, None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not row or all(not c.strip() for c in row):
        return None
    return [c.strip() for c in row]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_with_arrow(file: Path, path: str, label: str, header: bool, task: Task | str,
                     min_classes: int) -> RawData | None:
    """The file through pyarrow, block by block, or None for anything but a clean numeric
    table."""
    try:
        import pyarrow as pa
        import pyarrow.csv  # noqa: F401  (imported here, where its absence is handled)
    except ImportError:                            # pyarrow is a dependency; be safe anyway
        return None
    first = _first_line(file)
    if first is None or len(first) < 2:
        return None
    names = first if header else None
    ncols = len(first)
    try:
        li = _label_index(label, names, ncols, path, path, [])
    except DataError:
        return None                                # the Python reader says it with context
    columns = [f"c{j}" for j in range(ncols)]      # ours: no BOM, duplicate or empty names
    # Every column's type is given, so no block infers one: features are float64 (an integer
    # column is numbers too; a text or empty cell fails its block and the Python reader names
    # it), the label is text, read as numbers after the last block (arrow_columns): a label
    # column of integers in the first block and a class name later reads as the whole file.
    types = {c: pa.float64() for c in columns}
    types[columns[li]] = pa.string()
    # a feature cell of the first row that is text: its column is read as text (categorical);
    # checked after the last block to hold no number, as the Python reader decides
    row = _first_line(file, 1 if header else 0) or []
    text = [j for j in range(min(ncols, len(row)))
            if j != li and row[j] and not _is_number(row[j])]
    for j in text:
        types[columns[j]] = pa.string()
    try:
        table = _stream(file, columns, li, types, header, path, text)
        text_columns = table.text_columns(trim=True) if table is not None else ()
    except (pa.ArrowException, OSError, ValueError, DataError):
        return None                                # NaN, inf, beyond float32 ...: named below
    if table is None or table.rows == 0:
        return None
    for column in text_columns:
        values = set(column.values.tolist())
        if any(_is_number(v) for v in values - {""}) or ("" in values
                                                         and not missing_allowed()):
            return None                            # mixed or missing: the Python reader says
    try:
        labels = table.label_values(trim=True)     # class names trimmed as the Python reader does
        y, k, class_names = encode_targets(labels, task, path, path, min_classes=min_classes)
    except DataError:
        return None                                # the message needs the line: Python reader
    x = table.features_array()
    desc = f"csv {path} ({x.shape[0]} rows, {x.shape[1]} features)"
    text_columns = tuple(replace(c, name=names[j] if names else f"column {j + 1}")
                         for c, j in zip(text_columns, text))
    return RawData(x, y, class_names, k, desc, path, path, text=text_columns,
                   feature_names=tuple(names[j] for j in range(ncols) if j != li)
                   if names else None)


def _stream(file: Path, columns: list[str], li: int, types: dict, header: bool,
            path: str, text: list[int]) -> Columns | None:
    """Every block of the file into one `Columns`, as it is parsed (None: no rows)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    # Our own file object, to allocate its reads from the readers' pool too (a path opens one
    # on pyarrow's default pool: 88 MiB peak against 80 for the 500k-row file)
    with pa.OSFile(str(file), memory_pool=memory_pool()) as source:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1 if header else 0,
                                           block_size=BLOCK_SIZE),
            convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False,
                # only an empty cell is missing, as for the Python reader ("NA" is text)
                null_values=[""]),
            memory_pool=memory_pool())
        table = None
        for batch in reader:
            if table is None:                      # rows expected: this block's, scaled
                table = Columns(columns, li, path, path, _rows_hint(file, batch.num_rows))
                table.text = {j: [] for j in text}  # categorical columns, kept as text
            table.add(batch)                       # float32 rows at once, as training reads them
    return table


def _rows_hint(file: Path, first_rows: int) -> int:
    """The file's rows estimated from its first block's (a block is BLOCK_SIZE bytes, bar the
    line it cut), 2% over: a short estimate grows the array, a long one is trimmed."""
    size = file.stat().st_size
    return max(first_rows, int(first_rows * size / BLOCK_SIZE * 1.02) + 1)


def _read_with_python(file: Path, path: str, label: str, header: bool, task: Task | str,
                      min_classes: int) -> RawData:
    origin = path
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
    x, text = _features(feats, feat_cols, names, lines, origin, path, header)
    bad = not_finite(x)
    if bad.any():
        i, jj = np.argwhere(bad)[0]
        raise DataError(f"{origin}: {str(feats[i, jj])!r} at line {lines[i]}, "
                        f"{_col_desc(feat_cols[jj], names)} is not a finite number "
                        f"(NaN/inf are not allowed)", D003, path,
                        hint=IMPUTE_HINT if np.isnan(x[i, jj]) else None)
    with np.errstate(invalid="ignore"):
        too_big = np.abs(x) > np.finfo(np.float32).max
    if too_big.any():
        i, jj = np.argwhere(too_big)[0]
        raise DataError(f"{origin}: {str(feats[i, jj])!r} at line {lines[i]}, "
                        f"{_col_desc(feat_cols[jj], names)} is beyond float32's range "
                        f"(about ±3.4e38); rescale the column", D003, path)
    x = x.astype(np.float32)
    y, k, class_names = encode_targets(table[:, li], task, origin, path,
                                       where=lambda i: f"line {lines[i]}",
                                       min_classes=min_classes)
    desc = f"csv {path} ({x.shape[0]} rows, {x.shape[1]} features)"
    return RawData(x, y, class_names, k, desc, origin, path, text=text,
                   feature_names=tuple(names[j] for j in feat_cols)
                   if names is not None else None)


def _features(feats: np.ndarray, feat_cols: list[int], names: list[str] | None,
              lines: list[int], origin: str, path: str, header: bool
              ) -> tuple[np.ndarray, tuple[TextColumn, ...]]:
    """The feature cells as float64 [N, F] and the text columns among them.

    A column none of whose cells is a number is text: its categories are one-hot encoded
    later (categorical.py; 0 stands in its place here). In any other column every cell must
    be a number; an empty one is missing, NaN with `impute = ...` (missing.py), else an error,
    as is any other cell that is not a number (the first in row order is named)."""
    allowed = missing_allowed()
    n, f = feats.shape
    x = np.zeros((n, f), np.float64)
    text: list[TextColumn] = []
    first_bad: tuple[int, int] | None = None
    for jj in range(f):
        col = feats[:, jj]
        try:
            x[:, jj] = col.astype(np.float64)
            continue
        except ValueError:
            pass
        empty = col == ""
        ok = np.zeros(n, bool)
        for i in np.flatnonzero(~empty):
            try:
                x[i, jj] = float(col[i])
                ok[i] = True
            except ValueError:
                pass
        if not ok.any() and not empty.all():       # text: a categorical column
            if empty.any() and not allowed:
                first = (int(np.argmax(empty)), jj)
                first_bad = first if first_bad is None else min(first_bad, first)
            text.append(TextColumn(jj, names[feat_cols[jj]] if names is not None
                                   else f"column {feat_cols[jj] + 1}", col))
            continue
        x[empty, jj] = np.nan
        wrong = ~ok & ~empty if allowed else ~ok
        if wrong.any():
            first = (int(np.argmax(wrong)), jj)
            first_bad = first if first_bad is None else min(first_bad, first)
    if first_bad is not None:
        i, jj = first_bad
        cell = str(feats[i, jj])
        what = "empty cell (missing value)" if cell == "" else f"non-numeric value {cell!r}"
        header_hint = " (if line 1 is a header, set header=true)" if not header and i == 0 \
            else ""
        raise DataError(f"{origin}: {what} at line {lines[i]}, "
                        f"{_col_desc(feat_cols[jj], names)}; feature columns must be numbers"
                        f"{header_hint}", D003, path,
                        hint=IMPUTE_HINT if cell == "" else None)
    return x, tuple(text)


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
    min_classes=min_classes), cache=True)
