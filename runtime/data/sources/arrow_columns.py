"""Arrow columns -> the numbers training reads: float32 features [N, F] and the label values.

Shared by csv(...), parquet(...) and feather(...). Each hands its data over a piece at a time
(a CSV block or an IPC record batch of every column: `add`; one Parquet column's batches:
`add_column`), written straight into the float32 rows, so the float64 (or int64) table never
exists whole: the peak is the float32 array plus a piece or two (bench/csv_load.py).

A problem raises a DataError naming the column and the 0-based row; the CSV reader catches it
and lets its Python reader name the line instead. pyarrow is imported inside the functions:
this package imports every module, and a recipe without a columnar source must not pay for
pyarrow's import (0.3 s).
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ...errors import D002, D003, D004, DataError
from ..missing import missing_allowed
from ..raw import IMPUTE_HINT, TextColumn, not_finite

F32_MAX = float(np.finfo(np.float32).max)
GROWTH = 1.5        # capacity growth when a row estimate was short (resize, not a copy: below)


def memory_pool() -> Any:
    """The pool the readers allocate from: jemalloc where pyarrow has it. Reading the 500k-row
    CSV peaked at 2.1x the float32 features with it, 2.6x with mimalloc (pyarrow's default)
    and 2.7x with the system allocator (bench/csv_load.py; the reader's threads each keep
    memory in the other two)."""
    import pyarrow as pa

    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowException):      # a build without jemalloc
        return pa.default_memory_pool()


def kind_of(arrow_type: Any) -> str:
    """'number', 'text' or 'other': what a column of this Arrow type can be."""
    import pyarrow as pa

    t = arrow_type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
            or pa.types.is_decimal(t) or pa.types.is_null(t)):
        return "number"                        # a null-typed column: its nulls are named below
    string_view = getattr(pa.types, "is_string_view", lambda _: False)   # pyarrow >= 16
    if pa.types.is_string(t) or pa.types.is_large_string(t) or string_view(t):
        return "text"
    return "other"


class Columns:
    """Batches of one schema -> float32 features (every column but the label) and labels.

    `names` are the columns as messages name them, `label` the label column's index,
    `rows_hint` the expected row count (exact for parquet, estimated for CSV; 0 = unknown).
    """

    def __init__(self, names: list[str], label: int, origin: str, path: str,
                 rows_hint: int = 0):
        self.names, self.label, self.origin, self.path = names, label, origin, path
        self.features = [j for j in range(len(names)) if j != label]
        self.rows = 0
        # NOTE: the rows are preallocated from the hint, grown and trimmed with ndarray.resize
        # (a realloc, no second array). Reading the 500k-row CSV peaked at 80 MiB above the
        # interpreter so, 98 MiB growing 1.5x from the first block's rows, 117 MiB with a
        # float32 chunk per block and one concatenate (bench/csv_load.py, 38 MiB of features).
        self._x = np.empty((max(rows_hint, 1), len(self.features)), np.float32)
        self._labels: list[Any] = []
        # text feature columns (categorical: one-hot encoded by build_data, categorical.py):
        # their values are kept as Arrow strings, their place in the rows holds 0
        self.text: dict[int, list[Any]] = {}

    def check_types(self, schema: Any) -> None:
        """Refuse a schema whose features are not numbers, or whose label is neither numbers
        nor text, before any batch is read."""
        for j in self.features:
            kind, t = kind_of(schema.field(j).type), schema.field(j).type
            if kind == "text":
                self.text[j] = []
                continue
            if kind == "other":
                raise DataError(f"{self.origin}: feature column '{self.names[j]}' has type {t}, "
                                f"not a number; feature columns must be integers, floats, "
                                f"booleans or decimals", D003, self.path)
        t = schema.field(self.label).type
        if kind_of(t) == "other":
            raise DataError(f"{self.origin}: label column '{self.names[self.label]}' has type "
                            f"{t}; labels must be numbers or strings", D004, self.path)

    def add(self, batch: Any) -> None:
        """The next rows: a record batch of the whole schema (a CSV block, an IPC batch)."""
        n = batch.num_rows
        if self.rows + n > self._x.shape[0]:
            grown = max(self.rows + n, int(self._x.shape[0] * GROWTH))
            self._x.resize((grown, self._x.shape[1]), refcheck=False)
        out = self._x[self.rows:self.rows + n]           # no other view of _x outlives add()
        with np.errstate(over="ignore", invalid="ignore"):
            for k, j in enumerate(self.features):
                if j in self.text:
                    self._add_text(j, batch.column(j), self.rows)
                    out[:, k] = 0.0
                else:
                    self._put(out[:, k], batch.column(j), j, self.rows, check=False)
            if n and not _in_range(out):                 # one check for the block, then by column
                for k, j in enumerate(self.features):
                    if j not in self.text:
                        self._put(out[:, k], batch.column(j), j, self.rows, check=True)
        self.add_labels([batch.column(self.label)])
        self.rows += n

    def add_column(self, j: int, chunks: Iterable[Any]) -> None:
        """Feature column `j` whole, chunk by chunk (parquet: one column's reader at a time);
        `rows_hint` was the file's row count, which every column must have."""
        k, row, rows = self.features.index(j), 0, self._x.shape[0]
        for chunk in chunks:
            if row + len(chunk) > rows:
                break
            out = self._x[row:row + len(chunk), k]
            if j in self.text:
                self._add_text(j, chunk, row)
                out[:] = 0.0
                row += len(chunk)
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                self._put(out, chunk, j, row, check=False)
                if len(chunk) and not _in_range(out):
                    self._put(out, chunk, j, row, check=True)
            row += len(chunk)
        if row != rows:                            # else rows of np.empty would be training data
            raise DataError(f"{self.origin}: corrupt file: column '{self.names[j]}' does not "
                            f"have the {rows} rows its metadata says", D002, self.path)
        self.rows = rows

    def add_labels(self, chunks: Iterable[Any]) -> None:
        # a copy: a slice of a batch would keep the whole batch's memory (an uncompressed IPC
        # batch is one buffer for all its columns)
        import pyarrow as pa

        self._labels.extend(pa.concat_arrays([c]) for c in chunks)

    def _add_text(self, j: int, column: Any, row: int) -> None:
        """A text column's values (a copy, as add_labels); a null is a missing category."""
        import pyarrow as pa

        import pyarrow.compute as pc

        if column.null_count and not missing_allowed():
            self._missing(column, j, row)
        # large_string and dictionary columns too, as plain strings
        self.text[j].append(pa.concat_arrays([pc.cast(column, pa.string(),
                                                      memory_pool=memory_pool())]))

    def text_columns(self, trim: bool = False) -> tuple[TextColumn, ...]:
        """The text feature columns' values as numpy strings ("" where missing; trimmed of
        spaces when `trim`, as a CSV cell is)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        out = []
        for j, chunks in self.text.items():
            values = pa.chunked_array(chunks, pa.string()) if chunks else pa.chunked_array(
                [], pa.string())
            values = pc.fill_null(values, "")
            if trim:
                values = pc.utf8_trim_whitespace(values, memory_pool=memory_pool())
            out.append(TextColumn(self.features.index(j), self.names[j],
                                  np.asarray(values.to_pylist(), dtype=str)))
        return tuple(out)

    def _missing(self, column: Any, j: int, row: int) -> None:
        import pyarrow.compute as pc

        at = row + int(pc.index(pc.is_null(column), True).as_py())
        raise DataError(f"{self.origin}: missing value (null) at row {at}, column "
                        f"'{self.names[j]}'; feature columns must be numbers", D003,
                        self.path, hint=IMPUTE_HINT)

    def features_array(self) -> np.ndarray:
        """The float32 features [rows, F]; call once, after the last batch."""
        if self._x.shape[0] != self.rows:
            self._x.resize((self.rows, self._x.shape[1]), refcheck=False)
        x, self._x = self._x, np.empty((0, 0), np.float32)
        return x

    def label_values(self, trim: bool = False) -> np.ndarray:
        """The label column as numbers, or as class-name strings [N] (trimmed when `trim`,
        as a CSV cell is); `encode_targets` does the rest."""
        if sum(len(c) for c in self._labels) != self.rows:
            raise DataError(f"{self.origin}: corrupt file: the label column "
                            f"'{self.names[self.label]}' does not have the {self.rows} rows of "
                            f"the features", D002, self.path)
        return label_values(self._labels, self.names[self.label], self.origin, self.path, trim)

    def _put(self, out: np.ndarray, column: Any, j: int, row: int, check: bool) -> None:
        """Column `j`'s values (rows `row`...) into `out` as float32; with `check`, name the
        first that float32 cannot hold (the caller saw one) before anything is written."""
        if column.null_count:
            if not missing_allowed():
                self._missing(column, j, row)
            import pyarrow as pa
            import pyarrow.compute as pc

            # `impute = ...`: a missing value reads as NaN, filled later (cleaning.py)
            column = pc.fill_null(pc.cast(column, pa.float64(), memory_pool=memory_pool()),
                                  float("nan"))
        values = _wide(numbers(column))
        if check:
            v = values.astype(np.float64, copy=False)
            with np.errstate(invalid="ignore"):
                bad = np.flatnonzero(not_finite(v) | (np.abs(v) > F32_MAX))
            if bad.size:                           # (exactly ±float32 max is a valid value)
                value = float(v[bad[0]])
                where = f"row {row + int(bad[0])}, column '{self.names[j]}'"
                if np.isfinite(value):
                    raise DataError(f"{self.origin}: value {value!r} at {where} is beyond "
                                    f"float32's range (about ±3.4e38); rescale the column",
                                    D003, self.path)
                raise DataError(f"{self.origin}: value {value!r} at {where} is not a finite "
                                f"number (NaN/inf are not allowed)", D003, self.path)
        out[:] = values                            # (the caller ignores float32 overflow)


def _in_range(out: np.ndarray) -> bool:
    """Whether every value is finite and within float32's range: two reductions (NaN
    propagates through both; an overflow shows as inf or as exactly ±max, checked then)."""
    return bool(-F32_MAX < out.min() and out.max() < F32_MAX)


def numbers(column: Any) -> np.ndarray:
    """A null-free numeric Arrow array as numpy: a view of its buffer where it has one (Arrow's
    own to_numpy goes through its pandas layer, which imports pandas where installed: 0.5 s)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = column.type
    if pa.types.is_dictionary(t):
        column, t = column.dictionary_decode(), t.value_type
    if pa.types.is_boolean(t):                         # bit-packed: no numpy view
        column, t = pc.cast(column, pa.uint8(), memory_pool=memory_pool()), pa.uint8()
    elif pa.types.is_decimal(t) or pa.types.is_null(t):
        column, t = pc.cast(column, pa.float64(), memory_pool=memory_pool()), pa.float64()
    kind = ("f" if pa.types.is_floating(t)
            else "u" if pa.types.is_unsigned_integer(t) else "i")
    dtype = np.dtype(f"{kind}{t.bit_width // 8}")
    return np.frombuffer(column.buffers()[1], dtype=dtype, count=len(column),
                         offset=column.offset * dtype.itemsize)


def _wide(values: np.ndarray) -> np.ndarray:
    """64-bit integers through float64 first, as a CSV cell's text is parsed: beyond 2**53 a
    direct int64 -> float32 rounding can differ from the float64 -> float32 one."""
    if values.dtype.kind in "iu" and values.dtype.itemsize == 8:
        return values.astype(np.float64)
    return values


def label_values(chunks: list[Any], name: str, origin: str, path: str,
                 trim: bool = False) -> np.ndarray:
    """Label chunks of one Arrow type as numpy: numbers, or strings (a text column whose every
    value parses as an integer, or else as a float, is numbers, as encode_targets reads it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    labels = pa.chunked_array(chunks) if chunks else pa.chunked_array([], pa.int64())
    if labels.null_count:
        row = int(pc.index(pc.is_null(labels), True).as_py())
        raise DataError(f"{origin}: empty label (null) at row {row}, column '{name}'", D004, path)
    if pa.types.is_dictionary(labels.type):
        labels = pc.cast(labels, labels.type.value_type, memory_pool=memory_pool())
    if kind_of(labels.type) == "number":
        return np.concatenate([numbers(c) for c in labels.chunks] or [np.zeros(0, np.int64)])
    if trim:
        labels = pc.utf8_trim_whitespace(labels, memory_pool=memory_pool())
    # NOTE: the distinct values are parsed, not every row: a failed cast of 500k rows took
    # 0.44 s, and np.asarray of 500k Python strings 0.1 s, against 0.02 s this way
    coded = pc.dictionary_encode(labels, memory_pool=memory_pool()).combine_chunks()
    rows = numbers(coded.indices)                      # one dictionary for every chunk
    for numeric in (pa.int64(), pa.float64()):        # numbers written as text
        try:
            return numbers(pc.cast(coded.dictionary, numeric, memory_pool=memory_pool()))[rows]
        except pa.ArrowException:
            pass
    return np.asarray(coded.dictionary.to_pylist(), dtype=str)[rows]  # class names


def label_index(names: list[str], label: str, origin: str, path: str) -> int:
    """The label column's index among a typed file's `names` (D004 when absent or named twice,
    with the closest name and the columns there are)."""
    import difflib

    if names.count(label) == 1:
        if len(names) < 2:
            raise DataError(f"{origin}: has only the label column '{label}'; it needs at least "
                            f"one feature column too", D003, path)
        return names.index(label)
    if names.count(label) > 1:
        raise DataError(f"{origin}: {names.count(label)} columns are named '{label}'; the label "
                        f"column's name must be unique", D004, path)
    msg = f"{origin}: no label column '{label}'"
    close = difflib.get_close_matches(label, names, n=1, cutoff=0.5)
    if not close:
        close = [n for n in names if n.lower() == label.lower()][:1]
    if close:
        msg += f"; did you mean '{close[0]}'?"
    shown = ", ".join(f"'{n}'" for n in names[:12]) + (", ..." if len(names) > 12 else "")
    raise DataError(msg + f" (columns: {shown or 'none'})", D004, path)
