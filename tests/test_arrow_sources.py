"""parquet(...) and feather(...): the same numbers as csv(...) reads from the same data, and every
wrong file or column a clear diagnostic at the source call (never pyarrow's traceback).

The files are written with pyarrow; the CSV twin of each table is written as text, so the
arrays compared come through two different parsers and one column conversion
(runtime/data/sources/arrow_columns.py)."""
from __future__ import annotations

import decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from hostile import accepted, cli, line_col, refused, write

from recipec.runtime.data.sources.csv import load_csv
from recipec.runtime.data.sources.feather import load_feather
from recipec.runtime.data.sources.parquet import load_parquet
from recipec.runtime.errors import DataError

FORMATS = {
    # name: (reader, write(table, path, rows per row group / batch), file suffix)
    "parquet": (load_parquet, lambda t, p, rows: pq.write_table(t, p, row_group_size=rows),
                ".parquet"),
    "feather": (load_feather, lambda t, p, rows: feather.write_feather(t, p, chunksize=rows),
                ".feather"),
}
RNG = np.random.default_rng(0)
N = 50


def _table(label) -> pa.Table:
    """Every numeric column type a feature may have, and `label`. NOTE: i64's first value
    rounds to another float32 directly (up) than through float64 (to even, down), as the
    CSV's text is parsed: the reader must take the second way."""
    f64 = RNG.standard_normal(N) * 1e3
    return pa.table({
        "f64": f64,
        "f32": RNG.standard_normal(N).astype(np.float32),
        "f16": RNG.standard_normal(N).astype(np.float16),
        "i64": np.r_[2**60 + 2**36 + 1, RNG.integers(-2**62, 2**62, N - 1)],
        "i32": RNG.integers(-1000, 1000, N).astype(np.int32),
        "u8": RNG.integers(0, 255, N).astype(np.uint8),
        "u64": RNG.integers(0, 2**63, N).astype(np.uint64),
        "flag": pa.array(RNG.integers(0, 2, N).astype(bool)),
        "price": pa.array([decimal.Decimal(f"{v:.2f}") for v in f64], pa.decimal128(12, 2)),
        "label": label,
    })


def _csv_twin(table: pa.Table, path: Path) -> Path:
    """The same table as CSV text: exact decimal text for every value (bools as 0/1)."""
    columns = []
    for name in table.column_names:
        values = table.column(name).to_pylist()
        if table.schema.field(name).type == pa.bool_():
            values = [int(v) for v in values]
        elif pa.types.is_floating(table.schema.field(name).type):
            values = [repr(float(v)) for v in values]
        columns.append([str(v) for v in values])
    lines = [",".join(table.column_names)] + [",".join(row) for row in zip(*columns)]
    path.write_text("\n".join(lines) + "\n")
    return path


LABELS = {
    "integers": (lambda: pa.array(np.arange(N) % 3), "classification"),
    "strings": (lambda: pa.array([["setosa", "virginica", "versicolor"][i % 3]
                                  for i in range(N)]), "classification"),
    "dictionary": (lambda: pa.array([["b", "a"][i % 2] for i in range(N)]).dictionary_encode(),
                   "classification"),
    "a-name-after-the-first-group": (lambda: pa.array(["cat" if i == 40 else str(i % 2)
                                                       for i in range(N)]), "classification"),
    "regression": (lambda: pa.array(RNG.standard_normal(N)), "regression"),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("labels", sorted(LABELS))
def test_a_file_reads_as_its_csv_twin(tmp_path, fmt, labels):
    read, save, suffix = FORMATS[fmt]
    make, task = LABELS[labels]
    table = _table(make())
    path = tmp_path / f"data{suffix}"
    save(table, path, 16)                                   # 4 row groups / batches
    got = read(str(path), "label", task=task)
    want = load_csv(str(_csv_twin(table, tmp_path / "data.csv")), "label", task=task)
    assert got.x.dtype == want.x.dtype == np.float32 and got.x.shape == (N, 9)
    np.testing.assert_array_equal(got.x, want.x)
    assert got.y.dtype == want.y.dtype
    np.testing.assert_array_equal(got.y, want.y)
    assert (got.num_classes, got.class_names) == (want.num_classes, want.class_names)
    assert got.description == f"{fmt} {path} ({N} rows, 9 features)"


def test_the_label_column_may_be_anywhere(tmp_path):
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"y": [1, 0, 1], "a": [1.0, 2.0, 3.0], "b": [4, 5, 6]}), path)
    raw = load_parquet(str(path), "y")
    np.testing.assert_array_equal(raw.x, np.array([[1, 4], [2, 5], [3, 6]], np.float32))
    np.testing.assert_array_equal(raw.y, [1, 0, 1])


# -- through `recipec check`: the recipe and its data ------------------------------------------

RECIPE = """\
recipe columnar
data {{ source = {source} }}
model {{
  input [{features}]
  dense(3)
}}
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train {{ epochs = 1  batch = 4  seed = 0 }}
"""


def _check(tmp_path, fmt, source=None, features=2):
    source = source or f'{fmt}("data{FORMATS[fmt][2]}", label = "y")'
    text = RECIPE.format(source=source, features=features)
    return cli("check", write(tmp_path, "r.recipe", text)), line_col(text, f'{fmt}(')


def _save(tmp_path, fmt, columns: dict, rows_per_group: int = 1024) -> Path:
    path = tmp_path / f"data{FORMATS[fmt][2]}"
    FORMATS[fmt][1](pa.table(columns), path, rows_per_group)
    return path


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_check_accepts_a_good_file(tmp_path, fmt):
    _save(tmp_path, fmt, {"a": [1.0, 2.0, 3.0, 4.0], "b": [1, 2, 3, 4], "y": [0, 1, 2, 0]})
    out, _ = _check(tmp_path, fmt)
    accepted(out)


# id: (columns of the file, rows per group, code, words the message must hold)
BAD_COLUMNS = {
    # a text feature column (string, large_string, dictionary) is categorical: one-hot
    # encoded, tests/test_cleaning.py
    "list-feature": ({"a": [[1.0], [2.0], [3.0]], "b": [1, 2, 3], "y": [0, 1, 0]}, 1024, "D003",
                     ("column 'a'", "list<", "not a number")),
    "struct-feature": ({"a": [{"p": 1}, {"p": 2}, {"p": 3}], "b": [1, 2, 3], "y": [0, 1, 0]},
                       1024, "D003", ("column 'a'", "struct<p: int64>")),
    "binary-feature": ({"a": [b"\x00", b"\x01", b"\x02"], "b": [1, 2, 3], "y": [0, 1, 0]}, 1024,
                       "D003", ("column 'a'", "binary")),
    "timestamp-feature": ({"a": pa.array([0, 1, 2], pa.timestamp("s")), "b": [1, 2, 3],
                           "y": [0, 1, 0]}, 1024, "D003", ("column 'a'", "has type timestamp[")),
    "null-cell": ({"a": [1.0, 2.0, None, 4.0], "b": [1, 2, 3, 4], "y": [0, 1, 0, 1]}, 1024,
                  "D003", ("null", "row 2", "column 'a'")),
    "null-cell-in-a-later-group": ({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [1, 2, 3, 4, None],
                                    "y": [0, 1, 0, 1, 0]}, 2, "D003", ("row 4", "column 'b'")),
    "nan": ({"a": [1.0, float("nan"), 3.0], "b": [1, 2, 3], "y": [0, 1, 0]}, 1024, "D003",
            ("value nan at row 1, column 'a'", "not a finite number")),
    "inf-in-a-later-group": ({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, -float("inf")],
                              "y": [0, 1, 0]}, 2, "D003", ("value -inf at row 2, column 'b'",)),
    "beyond-float32": ({"a": [1.0, 2.0, 3.0], "b": [1.0, 1e39, 3.0], "y": [0, 1, 0]}, 1024,
                       "D003", ("1e+39 at row 1, column 'b'", "beyond float32's range")),
    "no-rows": ({"a": pa.array([], pa.float64()), "b": pa.array([], pa.int64()),
                 "y": pa.array([], pa.int64())}, 1024, "D003", ("has no rows",)),
    "missing-label": ({"a": [1.0, 2.0], "b": [1, 2], "why": [0, 1]}, 1024, "D004",
                      ("no label column 'y'", "did you mean 'why'?", "columns: 'a', 'b', 'why'")),
    "null-label": ({"a": [1.0, 2.0, 3.0], "b": [1, 2, 3], "y": [0, None, 1]}, 1024, "D004",
                   ("label (null) at row 1",)),
    "list-label": ({"a": [1.0, 2.0], "b": [1, 2], "y": [[0], [1]]}, 1024, "D004",
                   ("label column 'y' has type list<",)),
    "negative-label": ({"a": [1.0, 2.0, 3.0], "b": [1, 2, 3], "y": [0, 1, -1]}, 1024, "D004",
                       ("label -1 at row 2 is negative",)),
    "only-the-label": ({"y": [0, 1]}, 1024, "D003", ("only the label column 'y'",)),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", sorted(BAD_COLUMNS))
def test_a_bad_column_is_named(tmp_path, fmt, case):
    columns, rows_per_group, code, words = BAD_COLUMNS[case]
    _save(tmp_path, fmt, columns, rows_per_group)
    out, at = _check(tmp_path, fmt)
    refused(out, code, at=at, mentions=(f"data{FORMATS[fmt][2]}",) + words)


def _good_bytes(tmp_path, fmt) -> bytes:
    (tmp_path / "good").mkdir(exist_ok=True)
    path = _save(tmp_path / "good", fmt, {"a": np.arange(64.0), "b": np.arange(64),
                                          "y": np.arange(64) % 2})
    return path.read_bytes()


# id: (the file's bytes made from a good file's, words the D002 message must hold)
BAD_FILES = {
    "empty": (lambda good, fmt: b"", ("the file is empty",)),
    "a-csv-renamed": (lambda good, fmt: b"a,b,y\n1,2,0\n3,4,1\n",
                      ("does not start with", "a CSV file? read it with csv(...)")),
    "truncated": (lambda good, fmt: good[:len(good) // 2], ("truncated",)),
    "zeroed-middle": (lambda good, fmt: good[:8] + bytes(len(good) - 16) + good[-8:],
                      ("corrupt",)),
    "a-pickle": (lambda good, fmt: b"\x80\x04\x95" + bytes(40), ("pickle, which is never loaded",)),
    "the-other-format": (lambda good, fmt: b"", ()),      # filled in by the test
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_file_that_is_not_one_is_D002_naming_it(tmp_path, fmt, case):
    make, words = BAD_FILES[case]
    if case == "the-other-format":
        other = "feather" if fmt == "parquet" else "parquet"
        data, words = _good_bytes(tmp_path, other), (f"read it with {other}(...)",)
    else:
        data = make(_good_bytes(tmp_path, fmt), fmt)
    name = f"data{FORMATS[fmt][2]}"
    write(tmp_path, name, data)
    out, at = _check(tmp_path, fmt)
    refused(out, "D002", at=at, mentions=(name,) + words)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_missing_file_or_a_folder(tmp_path, fmt):
    out, at = _check(tmp_path, fmt, f'{fmt}("nowhere{FORMATS[fmt][2]}")')
    refused(out, "D001", at=at, mentions=(f"nowhere{FORMATS[fmt][2]}", "not found"))
    (tmp_path / f"data{FORMATS[fmt][2]}").mkdir()
    out, at = _check(tmp_path, fmt)
    refused(out, "D002", at=at, mentions="is a folder")


def test_feather_version_1_and_an_ipc_stream_are_named(tmp_path):
    write(tmp_path, "data.feather", b"FEA1" + bytes(32) + b"FEA1")
    out, at = _check(tmp_path, "feather")
    refused(out, "D002", at=at, mentions=("Feather version 1", "version 2"))
    table = pa.table({"a": [1.0, 2.0], "b": [1, 2], "y": [0, 1]})
    with pa.OSFile(str(tmp_path / "data.feather"), "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema) as stream:
            stream.write_table(table)
    out, at = _check(tmp_path, "feather")
    refused(out, "D002", at=at, mentions=("an Arrow IPC stream, not an Arrow IPC file",))


def test_an_encrypted_parquet_file_is_named(tmp_path):
    write(tmp_path, "data.parquet", b"PARE" + bytes(32) + b"PARE")
    out, at = _check(tmp_path, "parquet")
    refused(out, "D002", at=at, mentions="encrypted Parquet file")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_label_name_used_twice_is_D004(tmp_path, fmt):
    table = pa.Table.from_arrays([pa.array([1.0, 2.0]), pa.array([0, 1]), pa.array([1, 0])],
                                 names=["a", "y", "y"])
    FORMATS[fmt][1](table, tmp_path / f"data{FORMATS[fmt][2]}", 1024)
    out, at = _check(tmp_path, fmt)
    refused(out, "D004", at=at, mentions="2 columns are named 'y'")


def test_a_parquet_feature_name_used_twice_is_D003(tmp_path):
    # pyarrow reads a Parquet column by name: two of one name would read one twice
    table = pa.Table.from_arrays([pa.array([1.0, 2.0]), pa.array([3.0, 4.0]), pa.array([0, 1])],
                                 names=["a", "a", "y"])
    pq.write_table(table, tmp_path / "data.parquet")
    out, at = _check(tmp_path, "parquet")
    refused(out, "D003", at=at, mentions="more than one column named 'a'")


def test_feather_reads_a_feature_name_used_twice_by_position(tmp_path):
    table = pa.Table.from_arrays([pa.array([1.0, 2.0]), pa.array([3.0, 4.0]), pa.array([0, 1])],
                                 names=["a", "a", "y"])
    feather.write_feather(table, tmp_path / "data.feather")
    raw = load_feather(str(tmp_path / "data.feather"), "y")
    np.testing.assert_array_equal(raw.x, np.array([[1, 3], [2, 4]], np.float32))


class _WithoutCountRows:
    """An IPC file reader as a pyarrow without `count_rows` (before 2026) gives it."""

    def __init__(self, reader):
        self.schema, self.num_record_batches = reader.schema, reader.num_record_batches
        self.get_batch = reader.get_batch


@pytest.mark.parametrize("rows", [0, N])
def test_feather_without_a_row_count_grows_its_array(tmp_path, monkeypatch, rows):
    table = _table(pa.array(np.arange(N) % 3)).slice(0, rows)
    path = tmp_path / "data.feather"
    feather.write_feather(table, path, chunksize=7)
    real = pa.ipc.open_file
    monkeypatch.setattr(pa.ipc, "open_file", lambda *a, **k: _WithoutCountRows(real(*a, **k)))
    if rows == 0:
        with pytest.raises(DataError) as err:
            load_feather(str(path), "label")
        assert err.value.code == "D003" and "has no rows" in str(err.value)
        return
    got = load_feather(str(path), "label")
    want = load_csv(str(_csv_twin(table, tmp_path / "data.csv")), "label")
    np.testing.assert_array_equal(got.x, want.x)
    np.testing.assert_array_equal(got.y, want.y)
