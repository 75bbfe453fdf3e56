"""The CSV source's two readers agree: pyarrow reads a clean file, the Python reader reads (and
diagnoses) everything else, and both give the same arrays, labels and class names."""
from __future__ import annotations

import numpy as np
import pytest

from recipec.runtime.data.sources import csv as csv_source
from recipec.runtime.errors import DataError

GOOD = {
    # id: (file text, label, header, task)
    "header-label-last": ("a,b,label\n1,2,0\n3.5,-4,1\n5,6e-3,2\n", "label", True, "classification"),
    "label-first-by-index": ("y,a,b\n1,2,3\n0,4,5\n1,6,7\n", "0", True, "classification"),
    "string-labels-trimmed": ("a,b,species\n1,2, setosa\n3,4,virginica \n5,6,setosa\n",
                              "species", True, "classification"),
    "no-header-last": ("1,2,0\n3,4,1\n5,6,1\n", "last", False, "classification"),
    "bom-and-quotes": ("\ufeffa,\"b\",label\n\"1\",2,0\n3,\"4\",1\n", "label", True,
                       "classification"),
    "blank-lines": ("a,b,label\n1,2,0\n\n3,4,1\n\n", "label", True, "classification"),
    "labels-as-floats": ("a,label\n1,0.0\n2,1.0\n3,1.0\n", "label", True, "classification"),
    "regression": ("a,b,t\n1,2,0.5\n3,4,-1.25\n5,6,3\n", "t", True, "regression"),
}

BAD = {
    # id: (file text, words of the Python reader's message)
    "text-cell": ("a,b,label\n1,x,0\n3,4,1\n", "line 2, column 2 ('b')"),
    "missing-cell": ("a,b,label\n1,,0\n3,4,1\n", "empty cell (missing value) at line 2"),
    "short-row": ("a,b,label\n1,2,0\n3,1\n", "line 3 has 2 columns"),
    "nan-cell": ("a,b,label\n1,nan,0\n3,4,1\n", "is not a finite number"),
    "beyond-float32": ("a,b,label\n1,1e39,0\n3,4,1\n", "beyond float32's range"),
    "empty-label": ("a,b,label\n1,2,\n3,4,1\n", "empty label at line 2"),
    "negative-class": ("a,label\n1,-1\n2,1\n", "line 2"),
    "blank-first-line": ("\na,b,label\n1,x,0\n3,4,1\n", "line 3"),
}


def _both(tmp_path, text, label, header, task):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    fast = csv_source._read_with_arrow(path, str(path), label, header, task, 2)
    slow = csv_source._read_with_python(path, str(path), label, header, task, 2)
    return fast, slow


@pytest.mark.parametrize("case", sorted(GOOD))
def test_arrow_reads_a_clean_file_as_the_python_reader_does(tmp_path, case):
    fast, slow = _both(tmp_path, *GOOD[case])
    assert fast is not None, "pyarrow declined a clean file"
    assert fast.x.dtype == slow.x.dtype == np.float32
    np.testing.assert_array_equal(fast.x, slow.x)
    np.testing.assert_array_equal(fast.y, slow.y)
    assert fast.y.dtype == slow.y.dtype
    assert (fast.num_classes, fast.class_names) == (slow.num_classes, slow.class_names)
    assert fast.description == slow.description


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_declined_by_arrow_and_named_by_line(tmp_path, case):
    text, words = BAD[case]
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert csv_source._read_with_arrow(path, str(path), "label", True, "classification",
                                       2) is None
    with pytest.raises(DataError) as err:
        csv_source.load_csv(str(path), "label", True)
    assert words in str(err.value)


def test_load_csv_takes_the_arrow_path_for_a_clean_file(tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n1,2,0\n3,4,1\n")

    def refuse(*args, **kwargs):
        raise AssertionError("the Python reader ran for a clean file")

    monkeypatch.setattr(csv_source, "_read_with_python", refuse)
    raw = csv_source.load_csv(str(path), "label", True)
    assert raw.x.shape == (2, 2) and raw.num_classes == 2


def _rows(n, label=lambda i: i % 3, width=1):
    cells = ",".join(["{}"] * 2)
    return "".join(f"{cells.format(i * width, -i)},{label(i)}\n" for i in range(n))


@pytest.mark.parametrize("case", ["text-label-after-the-first-block", "rows-beyond-the-estimate",
                                  "float-label-after-the-first-block"])
def test_a_file_of_many_blocks_reads_as_the_python_reader_does(tmp_path, monkeypatch, case):
    """Blocks of 1 KiB: the label's type and the row count are known only at the end."""
    monkeypatch.setattr(csv_source, "BLOCK_SIZE", 1024)
    if case == "text-label-after-the-first-block":      # integers for 1900 rows, then a name
        text = "a,b,label\n" + _rows(2000, lambda i: "cat" if i == 1900 else i % 3)
    elif case == "rows-beyond-the-estimate":             # long first rows, short later ones
        text = "a,b,label\n" + _rows(100, width=1234567891) + _rows(3000)
    else:
        text = "a,b,label\n" + _rows(2000, lambda i: "2.0" if i == 1500 else i % 2)
    assert len(text) > 10 * 1024
    fast, slow = _both(tmp_path, text, "label", True, "classification")
    assert fast is not None, "pyarrow declined a clean file"
    np.testing.assert_array_equal(fast.x, slow.x)
    np.testing.assert_array_equal(fast.y, slow.y)
    assert (fast.num_classes, fast.class_names) == (slow.num_classes, slow.class_names)
    if case == "text-label-after-the-first-block":
        assert fast.class_names == ("0", "1", "2", "cat")


def test_the_rows_estimate_is_short_for_long_first_rows(tmp_path, monkeypatch):
    # what makes the case above grow the array rather than fill an estimate
    monkeypatch.setattr(csv_source, "BLOCK_SIZE", 1024)
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n" + _rows(100, width=1234567891) + _rows(3000))
    first_block_rows = 1024 // len("123456789100,-100,1\n") + 1
    assert csv_source._rows_hint(path, first_block_rows) < 3100


# id: (the bad row, the words of the Python reader's message), the row at line 602 after 600
# clean ones in blocks of 1 KiB: the first blocks convert, a later one declines the whole file
LATER_BAD = {
    "text-cell": ("1,x,0", "non-numeric value 'x' at line 602, column 2 ('b')"),
    "missing-cell": ("1,,0", "empty cell (missing value) at line 602"),
    "short-row": ("3,1", "line 602 has 2 columns"),
    "nan-cell": ("nan,2,0", "'nan' at line 602, column 1 ('a') is not a finite number"),
    "beyond-float32": ("1,-1e39,0", "beyond float32's range"),
    "empty-label": ("1,2,", "empty label at line 602"),
    "negative-class": ("1,2,-1", "label -1 at line 602 is negative"),
}


@pytest.mark.parametrize("case", sorted(LATER_BAD))
def test_a_bad_row_in_a_later_block_is_declined_and_named_by_line(tmp_path, monkeypatch, case):
    monkeypatch.setattr(csv_source, "BLOCK_SIZE", 1024)
    bad, words = LATER_BAD[case]
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{i + 1},{i % 2}\n" for i in range(600))
                    + bad + "\n" + "5,6,1\n")
    assert csv_source._read_with_arrow(path, str(path), "label", True, "classification",
                                       2) is None
    with pytest.raises(DataError) as err:
        csv_source.load_csv(str(path), "label", True)
    assert words in str(err.value)
