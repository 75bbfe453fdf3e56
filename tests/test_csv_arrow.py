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
