"""`npy(x = "x.npy", y = "y.npy")`: features memory-mapped, checked a block at a time, and
every bad file refused with a located diagnostic through `recipec check` (never a traceback)."""
from __future__ import annotations

import numpy as np
import pytest
from hostile import cli, line_col, refused, write

from recipec.runtime.data.sources import npy as npy_source
from recipec.runtime.data.sources.npy import load_npy

RECIPE = """\
data {{ source = npy({args}) }}
model {{ input [3] dense(2) }}
loss = {loss}
optimizer = sgd(0.1)
train {{ epochs = 1  batch = 2 }}
"""


def files(tmp, x=None, y=None, **extra):
    np.save(tmp / "x.npy", np.arange(12.0).reshape(4, 3) if x is None else x)
    np.save(tmp / "y.npy", np.array([0, 1, 1, 0]) if y is None else y)
    for name, arr in extra.items():
        np.save(tmp / f"{name}.npy", arr)


def check(tmp, args='x = "x.npy", y = "y.npy"', loss="cross_entropy"):
    text = RECIPE.format(args=args, loss=loss)
    write(tmp, "r.recipe", text)
    return text, cli("check", str(tmp / "r.recipe"))


def test_features_stay_mapped_in_their_dtype(tmp_path):
    files(tmp_path, x=np.arange(12, dtype=np.uint8).reshape(4, 3))
    raw = load_npy("x.npy", "y.npy", base_dir=tmp_path)
    assert isinstance(raw.x, np.memmap) and raw.x.dtype == np.uint8
    assert raw.y.tolist() == [0, 1, 1, 0] and raw.num_classes == 2


def test_a_test_split_from_its_own_files(tmp_path):
    files(tmp_path, x_test=np.ones((2, 3)), y_test=np.array([1, 1]))
    raw = load_npy("x.npy", "y.npy", "x_test.npy", "y_test.npy", base_dir=tmp_path)
    assert raw.x_test.shape == (2, 3) and raw.y_test.tolist() == [1, 1]
    text, out = check(tmp_path, 'x = "x.npy", y = "y.npy", x_test = "x_test.npy", '
                                'y_test = "y_test.npy"')
    assert out.code == 0, out.err
    assert "4 train, 2 test" in out.out


def test_nan_found_in_a_later_block(tmp_path, monkeypatch):
    monkeypatch.setattr(npy_source, "CHECK_BLOCK_ELEMENTS", 3)
    x = np.arange(12.0).reshape(4, 3)
    x[3, 1] = np.nan
    files(tmp_path, x=x)
    text, out = check(tmp_path)
    refused(out, "D003", at=line_col(text, "npy("), mentions=["x.npy", "row 3, feature 1"])


HOSTILE = {
    "missing features": (lambda t: np.save(t / "y.npy", np.array([0, 1, 1, 0])),
                         'x = "nope.npy", y = "y.npy"', "D001", ["nope.npy", "not found"]),
    "rows differ": (lambda t: files(t, y=np.array([0, 1, 1])), None, "D003",
                    ["4 rows", "3"]),
    "object array": (lambda t: (files(t), np.save(t / "x.npy", np.array([{}, 1], dtype=object),
                                                  allow_pickle=True)),
                     None, "D003", ["pickled or object", "never loaded"]),
    "not npy": (lambda t: (files(t), (t / "x.npy").write_text("a,b\n1,2\n")), None, "D002",
                ["not a .npy file"]),
    "truncated": (lambda t: (files(t), (t / "x.npy").write_bytes((t / "x.npy").read_bytes()[:-20])),
                  None, "D002", ["x.npy", "truncated"]),
    "an npz": (lambda t: (files(t), np.savez(t / "a.npz", x=np.ones(3)),
                          (t / "x.npy").write_bytes((t / "a.npz").read_bytes())),
               None, "D002", ["npz archive", "npz("]),
    "a folder": (lambda t: (files(t), (t / "sub").mkdir()), 'x = "sub", y = "y.npy"', "D002",
                 ["is a folder"]),
    "text features": (lambda t: files(t, x=np.array([["a", "b", "c"]] * 4)), None, "D003",
                      ["numeric", "<U1"]),
    "complex features": (lambda t: files(t, x=np.ones((4, 3), np.complex64)), None, "D003",
                         ["numeric", "complex64"]),
    "empty": (lambda t: files(t, x=np.ones((0, 3)), y=np.ones(0, np.int64)), None, "D003",
              ["empty"]),
    "scalar": (lambda t: files(t, x=np.float64(3.0)), None, "D003", ["scalar"]),
    "beyond float32": (lambda t: files(t, x=np.full((4, 3), 1e300)), None, "D003",
                       ["float32"]),
    "negative label": (lambda t: files(t, y=np.array([0, -1, 1, 0])), None, "D004", ["-1"]),
    "fractional label": (lambda t: files(t, y=np.array([0, 0.5, 1, 0])), None, "D004",
                         ["0.5"]),
    "too many classes": (lambda t: files(t, y=np.array([0, 1, 2, 5])), None, "D004",
                         ["6 classes", "dense(6)"]),
    "test without y_test": (lambda t: files(t), 'x = "x.npy", y = "y.npy", x_test = "x.npy"',
                            "D003", ["y_test"]),
    "test of another shape": (lambda t: files(t, xt=np.ones((2, 4)), yt=np.array([0, 1])),
                              'x = "x.npy", y = "y.npy", x_test = "xt.npy", y_test = "yt.npy"',
                              "D003", ["xt.npy", "[4]", "[3]"]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_npy_files_are_refused_with_a_located_diagnostic(name, tmp_path):
    make, args, code, mentions = HOSTILE[name]
    make(tmp_path)
    text, out = check(tmp_path, *(() if args is None else (args,)))
    where = line_col(text, "npy(") if code != "D004" or "classes" not in name \
        else line_col(text, "dense(2)")
    refused(out, code, at=where, mentions=mentions)


def test_options_are_checked_before_any_file_is_opened(tmp_path):
    text, out = check(tmp_path, 'x = "x.npy"')
    refused(out, "E106", mentions=["`y"])
