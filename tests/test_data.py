"""Data loading, splitting and normalization (recipec.runtime.data)."""
from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest
from expect import raises

from recipec.compiler.diagnostics import Span
from recipec.compiler.recipe import Call, DataSpec
from recipec.runtime.data import Data, apply_normalization, load_data, split_indices


def spec(kind: str, normalize: str = "none", validation: float = 0.0, shuffle: bool = True,
         scale: float = 1.0, test: Call | None = None, **options) -> DataSpec:
    return DataSpec(Call(kind, options, Span.unknown()), normalize, validation, shuffle,
                    Span.unknown(), test=test, scale=scale)


def csv_spec(path, label="label", header=True, **kw) -> DataSpec:
    return spec("csv", path=str(path), label=label, header=header, **kw)


def npz_spec(path, x="x", y="y", **kw) -> DataSpec:
    return spec("npz", path=str(path), x=x, y=y, **kw)


def check_arrays(d: Data, task: str = "classification") -> None:
    for s in (d.train, d.validation):
        if s is None:
            continue
        assert s.x.dtype == np.float32 and s.x.flags.c_contiguous
        assert s.x.shape[1:] == d.feature_shape
        assert s.y.shape[0] == s.x.shape[0]
        if task == "classification":
            assert s.y.dtype == np.int64 and s.y.ndim == 1
            assert s.y.min() >= 0 and s.y.max() < d.num_classes
        else:
            assert s.y.dtype == np.float32 and s.y.ndim == 2


# --------------------------------------------------------------------------- toy sources

@pytest.mark.parametrize("name, rows, features, classes", [
    ("iris", 150, 4, 3), ("digits", 1797, 64, 10), ("wine", 178, 13, 3),
    ("breast_cancer", 569, 30, 2),
])
def test_toy_sources(name, rows, features, classes):
    d = load_data(spec(name), "classification", seed=0)
    check_arrays(d)
    assert d.train.x.shape == (rows, features)
    assert d.feature_shape == (features,)
    assert d.num_classes == classes and len(d.class_names) == classes
    assert d.validation is None and d.test is None
    assert set(np.unique(d.train.y)) == set(range(classes))
    assert name in d.source and str(rows) in d.source


@pytest.mark.parametrize("name", ["iris", "digits", "wine", "breast_cancer"])
def test_toy_files_read_as_scikit_learn_reads_them(name):
    """The bundled files read with numpy (no sklearn import) equal scikit-learn's loader."""
    from recipec.runtime.data.sources.toy import read_bundled, read_with_sklearn

    mine, theirs = read_bundled(name), read_with_sklearn(name)
    assert mine is not None, "scikit-learn's bundled file was not found or not understood"
    assert mine[0].dtype == np.float64 and np.array_equal(mine[0], theirs[0])
    assert np.array_equal(mine[1], theirs[1]) and mine[2] == theirs[2]


def test_toy_file_laid_out_otherwise_falls_back_to_scikit_learn(tmp_path, monkeypatch):
    from recipec.runtime.data.sources import toy

    (tmp_path / "iris.csv").write_text("3,4,a,b\n1,2,3,4,0\n")     # header says 3 rows
    monkeypatch.setattr(toy, "_data_folder", lambda: str(tmp_path))
    assert toy.read_bundled("iris") is None
    assert toy.read_bundled("digits") is None                           # no file at all
    d = load_data(spec("iris"), "classification", seed=0)
    assert d.train.x.shape == (150, 4)


def test_toy_regression_targets():
    d = load_data(spec("iris", validation=0.2), "regression", seed=0)
    check_arrays(d, "regression")
    assert d.train.y.shape == (120, 1) and d.validation.y.shape == (30, 1)
    assert d.num_classes is None and d.class_names is None


def test_iris_class_names():
    d = load_data(spec("iris"), "classification", seed=0)
    assert d.class_names == ("setosa", "versicolor", "virginica")


# --------------------------------------------------------------------------- split

def test_stratified_split_sizes_and_balance():
    d = load_data(spec("iris", validation=0.2), "classification", seed=1)
    check_arrays(d)
    assert len(d.train) == 120 and len(d.validation) == 30
    assert list(np.bincount(d.validation.y)) == [10, 10, 10]
    assert list(np.bincount(d.train.y)) == [40, 40, 40]


def test_stratified_split_uneven_classes():
    d = load_data(spec("wine", validation=0.25), "classification", seed=3)
    n_val = round(178 * 0.25)
    assert len(d.validation) == n_val and len(d.train) == 178 - n_val
    full = np.bincount(load_data(spec("wine"), "classification", 0).train.y)
    got = np.bincount(d.validation.y, minlength=3)
    assert np.all(np.abs(got - full * 0.25) < 1.0)       # each class within one row of its share


def test_split_rows_are_a_partition():
    full = load_data(spec("digits"), "classification", seed=0).train
    d = load_data(spec("digits", validation=0.3), "classification", seed=5)
    rows = np.concatenate([d.train.x, d.validation.x])
    assert rows.shape == full.x.shape
    key = lambda a: np.sort(a.view(np.dtype((np.void, a.dtype.itemsize * a.shape[1]))).ravel())
    assert np.array_equal(key(rows), key(full.x))


def test_split_deterministic_by_seed():
    a = load_data(spec("digits", validation=0.2), "classification", seed=7)
    b = load_data(spec("digits", validation=0.2), "classification", seed=7)
    c = load_data(spec("digits", validation=0.2), "classification", seed=8)
    assert np.array_equal(a.validation.x, b.validation.x)
    assert np.array_equal(a.train.y, b.train.y)
    assert not np.array_equal(a.validation.x, c.validation.x)


def test_split_indices_regression_random():
    y = np.zeros((50, 1), np.float32)
    tr, va = split_indices(y, 0.2, 0, stratify=False)
    assert len(va) == 10 and len(tr) == 40
    assert not set(tr) & set(va)
    tr2, va2 = split_indices(y, 0.2, 1, stratify=False)
    assert not np.array_equal(va, va2)


def test_split_needs_a_row_each_side(tmp_path):
    p = tmp_path / "tiny.csv"
    p.write_text("a,label\n1,0\n2,1\n3,0\n")
    raises("D003", ["tiny.csv", "validation=0.1", "at least 1"], load_data,
           csv_spec(p, validation=0.1), "classification", 0)
    raises("D003", ["iris", "at least 1"], load_data, spec("iris", validation=0.999),
           "classification", 0)


# --------------------------------------------------------------------------- normalization

def test_standard_normalization_fitted_on_train_only():
    d = load_data(spec("wine", normalize="standard", validation=0.3), "classification", seed=0)
    check_arrays(d)
    assert np.allclose(d.train.x.mean(axis=0), 0.0, atol=1e-5)
    assert np.allclose(d.train.x.std(axis=0), 1.0, atol=1e-4)
    assert not np.all(d.validation.x.mean(axis=0) == 0.0)
    assert np.abs(d.validation.x.mean(axis=0)).max() > 1e-3
    assert d.norm_shift.dtype == np.float32 and d.norm_shift.shape == (13,)
    # statistics are those of the raw training rows
    raw = load_data(spec("wine", validation=0.3), "classification", seed=0)
    assert np.allclose(d.norm_shift, raw.train.x.mean(axis=0), rtol=1e-5)
    assert np.allclose(apply_normalization(raw.validation.x, d), d.validation.x, atol=1e-5)
    assert np.allclose(apply_normalization(raw.validation.x[0], d), d.validation.x[0], atol=1e-5)


def test_minmax_normalization_and_constant_columns():
    d = load_data(spec("digits", normalize="minmax", validation=0.2), "classification", seed=0)
    assert d.train.x.min() >= 0.0 and d.train.x.max() <= 1.0 + 1e-6
    assert np.all(d.norm_scale > 0)                     # constant pixels: range 0 -> 1
    assert np.isfinite(d.validation.x).all()
    s = load_data(spec("digits", normalize="standard"), "classification", seed=0)
    assert np.all(s.norm_scale > 0) and np.isfinite(s.train.x).all()


def test_no_normalization_keeps_values():
    d = load_data(spec("iris"), "classification", seed=0)
    assert d.norm_shift is None and d.norm_scale is None
    assert d.train.x[0].tolist() == pytest.approx([5.1, 3.5, 1.4, 0.2])
    x = np.ones((2, 4))
    out = apply_normalization(x, d)
    assert out.dtype == np.float32 and np.array_equal(out, x)


def test_apply_normalization_shape_mismatch():
    d = load_data(spec("iris", normalize="standard"), "classification", seed=0)
    with pytest.raises(ValueError, match="feature shape"):
        apply_normalization(np.zeros((3, 5)), d)


# --------------------------------------------------------------------------- csv

IRIS_LIKE = ("sepal_len,sepal_wid,species\n"
             "5.1,3.5,setosa\n4.9,3.0,setosa\n7.0,3.2,versicolor\n6.4,3.2,versicolor\n"
             "6.3,3.3,virginica\n5.8,2.7,virginica\n")


def test_csv_named_label_with_string_classes(tmp_path):
    p = tmp_path / "flowers.csv"
    p.write_text(IRIS_LIKE)
    d = load_data(csv_spec(p, label="species"), "classification", 0)
    check_arrays(d)
    assert d.train.x.shape == (6, 2)
    assert d.class_names == ("setosa", "versicolor", "virginica")
    assert d.num_classes == 3
    assert d.train.y.tolist() == [0, 0, 1, 1, 2, 2]
    assert d.train.x[2].tolist() == pytest.approx([7.0, 3.2])
    assert "flowers.csv" in d.source


def test_csv_integer_index_label_no_header(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("1,0.5,2\n0,1.5,3\n\n1,2.5,4\n")     # blank line skipped
    d = load_data(csv_spec(p, label="0", header=False), "classification", 0)
    assert d.train.y.tolist() == [1, 0, 1] and d.num_classes == 2
    assert d.train.x.tolist() == [[0.5, 2], [1.5, 3], [2.5, 4]]
    assert d.class_names is None
    for last in ("-1", "last"):
        d = load_data(csv_spec(p, label=last, header=False), "regression", 0)
        assert d.train.y.tolist() == [[2], [3], [4]]
        assert d.train.x.shape == (3, 2)


def test_csv_relative_path_against_base_dir(tmp_path, monkeypatch):
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "d.csv").write_text("a,b,label\n1,2,0\n3,4,1\n")
    monkeypatch.chdir(tmp_path)
    d = load_data(csv_spec("d.csv"), "classification", 0, base_dir=tmp_path / "recipes")
    assert d.train.x.shape == (2, 2)
    d = load_data(csv_spec("recipes/d.csv"), "classification", 0, base_dir=tmp_path / "elsewhere")
    assert d.train.x.shape == (2, 2)                    # falls back to the cwd


def test_csv_integer_valued_float_labels_and_numeric_header_label(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("x1,x2,y\n1,2,1.0\n3,4,0.0\n5,6,2\n")
    d = load_data(csv_spec(p, label="y"), "classification", 0)
    assert d.train.y.tolist() == [1, 0, 2] and d.num_classes == 3


def test_csv_errors(tmp_path):
    missing = tmp_path / "nope.csv"
    raises("D001", ["nope.csv", "not found"], load_data, csv_spec(missing), "classification", 0)

    (tmp_path / "data.csv").write_text("a,label\n1,0\n")
    raises("D001", ["dta.csv", "did you mean 'data.csv'"], load_data,
           csv_spec(tmp_path / "dta.csv"), "classification", 0)

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    raises("D003", ["empty.csv", "empty"], load_data, csv_spec(empty), "classification", 0)

    only_header = tmp_path / "header_only.csv"
    only_header.write_text("a,b,label\n")
    raises("D003", ["header_only.csv", "no data rows"], load_data, csv_spec(only_header),
           "classification", 0)

    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,label\n1,2,0\n3,4\n5,6,1\n")
    raises("D003", ["ragged.csv", "line 3", "2 columns", "3"], load_data, csv_spec(ragged),
           "classification", 0)

    bad = tmp_path / "bad_cell.csv"
    bad.write_text("a,b,label\n1,2,0\n3,oops,1\n")
    raises("D003", ["bad_cell.csv", "line 3", "column 2", "'b'", "oops"], load_data,
           csv_spec(bad), "classification", 0)

    hole = tmp_path / "hole.csv"
    hole.write_text("a,b,label\n1,,0\n3,4,1\n")
    raises("D003", ["hole.csv", "line 2", "column 2", "empty cell"], load_data, csv_spec(hole),
           "classification", 0)

    nan = tmp_path / "nan.csv"
    nan.write_text("a,b,label\n1,2,0\n3,nan,1\n")
    raises("D003", ["nan.csv", "line 3", "column 2", "NaN"], load_data, csv_spec(nan),
           "classification", 0)

    p = tmp_path / "flowers.csv"
    p.write_text(IRIS_LIKE)
    raises("D004", ["flowers.csv", "no label column 'specis'", "did you mean 'species'",
                    "sepal_len"], load_data, csv_spec(p, label="specis"), "classification", 0)
    raises("D004", ["flowers.csv", "out of range"], load_data, csv_spec(p, label="7"),
           "classification", 0)
    raises("D004", ["flowers.csv", "regression targets must be numbers", "setosa"], load_data,
           csv_spec(p, label="species"), "regression", 0)

    noheader = tmp_path / "noheader.csv"
    noheader.write_text("1,2,0\n3,4,1\n")
    raises("D004", ["noheader.csv", "no header"], load_data,
           csv_spec(noheader, label="label", header=False), "classification", 0)
    raises("D004", ["noheader.csv", "header=false"], load_data, csv_spec(noheader),
           "classification", 0)

    neg = tmp_path / "neg.csv"
    neg.write_text("a,label\n1,0\n2,-1\n3,1\n")
    raises("D004", ["neg.csv", "line 3", "negative"], load_data, csv_spec(neg),
           "classification", 0)

    frac = tmp_path / "frac.csv"
    frac.write_text("a,label\n1,0\n2,1.5\n")
    raises("D004", ["frac.csv", "line 3", "not an integer"], load_data, csv_spec(frac),
           "classification", 0)

    one = tmp_path / "one_col.csv"
    one.write_text("a;b;label\n1;2;0\n")
    raises("D003", ["one_col.csv", "semicolons"], load_data, csv_spec(one, label="0"),
           "classification", 0)

    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage\x00")
    raises("D002", ["binary.csv", "UTF-8"], load_data, csv_spec(binary), "classification", 0)

    raises("D002", [str(tmp_path.name), "folder"], load_data, csv_spec(tmp_path),
           "classification", 0)


# --------------------------------------------------------------------------- npz

def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 1, 4, 4))
    y = np.arange(40) % 4
    p = tmp_path / "arrays.npz"
    np.savez(p, inputs=x, targets=y)
    d = load_data(npz_spec(p, x="inputs", y="targets", validation=0.25), "classification", 0)
    check_arrays(d)
    assert d.feature_shape == (1, 4, 4) and d.num_classes == 4
    assert len(d.train) == 30 and len(d.validation) == 10
    assert sorted(np.bincount(d.validation.y)) == [2, 2, 3, 3]   # 2.5 each, remainder by seed
    all_x = np.concatenate([d.train.x, d.validation.x])
    assert np.allclose(np.sort(all_x.ravel()), np.sort(x.astype(np.float32).ravel()))

    q = tmp_path / "reg.npz"
    np.savez_compressed(q, x=x[:, 0, 0], y=rng.normal(size=(40, 3)))
    r = load_data(npz_spec(q), "regression", 0)
    check_arrays(r, "regression")
    assert r.train.x.shape == (40, 4) and r.train.y.shape == (40, 3)

    s = tmp_path / "strings.npz"
    np.savez(s, x=np.ones((4, 2)), y=np.array(["cat", "dog", "cat", "bird"]))
    d = load_data(npz_spec(s), "classification", 0)
    assert d.class_names == ("bird", "cat", "dog") and d.train.y.tolist() == [1, 2, 1, 0]


def test_npz_errors(tmp_path):
    raises("D001", ["gone.npz", "not found"], load_data, npz_spec(tmp_path / "gone.npz"),
           "classification", 0)

    p = tmp_path / "keys.npz"
    np.savez(p, features=np.ones((3, 2)), labels=np.array([0, 1, 0]))
    raises("D003", ["keys.npz", "no array 'x'", "'features'", "'labels'"], load_data,
           npz_spec(p), "classification", 0)
    raises("D004", ["keys.npz", "no array 'lables'", "did you mean 'labels'"], load_data,
           npz_spec(p, x="features", y="lables"), "classification", 0)

    obj = tmp_path / "object.npz"
    np.savez(obj, x=np.array([np.ones(2), np.ones(3)], dtype=object), y=np.array([0, 1]))
    raises("D003", ["object.npz", "object array", "pickle"], load_data, npz_spec(obj),
           "classification", 0)

    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"this is not a zip file at all")
    raises("D002", ["corrupt.npz"], load_data, npz_spec(corrupt), "classification", 0)

    good = tmp_path / "good.npz"
    np.savez(good, x=np.ones((50, 8)), y=np.zeros(50, int))
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    raises("D002", ["truncated.npz", "corrupt"], load_data, npz_spec(truncated),
           "classification", 0)

    npy = tmp_path / "single.npz"
    with open(npy, "wb") as f:
        np.save(f, np.ones(3))
    raises("D002", ["single.npz", ".npy"], load_data, npz_spec(npy), "classification", 0)

    mism = tmp_path / "mismatch.npz"
    np.savez(mism, x=np.ones((5, 2)), y=np.zeros(4, int))
    raises("D003", ["mismatch.npz", "5 rows", "4"], load_data, npz_spec(mism), "classification", 0)

    neg = tmp_path / "negative.npz"
    np.savez(neg, x=np.ones((3, 2)), y=np.array([0, -2, 1]))
    raises("D004", ["negative.npz", "negative", "row 1"], load_data, npz_spec(neg),
           "classification", 0)

    frac = tmp_path / "fractional.npz"
    np.savez(frac, x=np.ones((3, 2)), y=np.array([0.0, 1.0, 0.25]))
    raises("D004", ["fractional.npz", "not an integer", "row 2"], load_data, npz_spec(frac),
           "classification", 0)

    nan = tmp_path / "nan_x.npz"
    xx = np.ones((3, 2))
    xx[1, 1] = np.nan
    np.savez(nan, x=xx, y=np.array([0, 1, 0]))
    raises("D003", ["nan_x.npz", "row 1", "not a finite"], load_data, npz_spec(nan),
           "classification", 0)

    text = tmp_path / "text_x.npz"
    np.savez(text, x=np.array([["a", "b"], ["c", "d"]]), y=np.array([0, 1]))
    raises("D003", ["text_x.npz", "numeric"], load_data, npz_spec(text), "classification", 0)

    one = tmp_path / "one_class.npz"
    np.savez(one, x=np.ones((3, 2)), y=np.zeros(3, int))
    raises("D004", ["one_class.npz", "only one class"], load_data, npz_spec(one),
           "classification", 0)


def test_no_pickle_in_package():
    import recipec.runtime.data as pkg
    folder = os.path.dirname(pkg.__file__)
    for name in os.listdir(folder):
        if name.endswith(".py"):
            src = open(os.path.join(folder, name)).read()
            assert "import pickle" not in src and "allow_pickle=True" not in src


def test_error_message_names_file_when_given_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("x.npy", b"garbage")
        z.writestr("y.npy", b"garbage")
    err = raises("D002", ["z.npz"], load_data, npz_spec("z.npz"), "classification", 0)
    assert err.path == "z.npz"


# --------------------------------------------------------------------------- test splits

MNIST1D = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist1d",
                       "mnist1d_data.npz")


def test_npz_named_test_arrays(tmp_path):
    rng = np.random.default_rng(1)
    p = tmp_path / "split.npz"
    np.savez(p, x=rng.normal(size=(30, 6)), y=np.arange(30) % 3,
             x_test=rng.normal(size=(9, 6)) + 5, y_test=np.arange(9) % 3, extra=np.ones(2))
    d = load_data(npz_spec(p, x_test="x_test", y_test="y_test", normalize="standard",
                           validation=0.2), "classification", 0)
    check_arrays(d)
    assert len(d.train) == 24 and len(d.validation) == 6 and len(d.test) == 9
    assert d.test.x.dtype == np.float32 and d.test.y.tolist() == [0, 1, 2] * 3
    # the test rows use the training statistics: shifted by about +5 standard deviations
    assert d.test.x.mean() > 3 and abs(d.train.x.mean()) < 1e-5
    assert "9 test rows" in d.source
    # defaults: no test split
    assert load_data(npz_spec(p), "classification", 0).test is None
    # regression targets for the test split as well
    r = load_data(npz_spec(p, x_test="x_test", y_test="y_test"), "regression", 0)
    assert r.test.y.shape == (9, 1) and r.test.y.dtype == np.float32


def test_npz_test_array_errors(tmp_path):
    p = tmp_path / "t.npz"
    np.savez(p, x=np.ones((4, 3)), y=np.array([0, 1, 0, 1]), xt=np.ones((2, 4)),
             yt=np.array([0, 1, 1]))
    raises("D003", ["t.npz", "no array 'x_tset'", "available: 'x', 'y', 'xt', 'yt'"], load_data,
           npz_spec(p, x_test="x_tset", y_test="yt"), "classification", 0)
    raises("D004", ["t.npz", "no array 'y_test' (test labels)", "'yt'"], load_data,
           npz_spec(p, x_test="xt", y_test="y_test"), "classification", 0)
    raises("D003", ["t.npz", "x_test is set but y_test is not"], load_data,
           npz_spec(p, x_test="xt"), "classification", 0)
    raises("D003", ["t.npz", "'xt' has 2 rows but 'yt' has 3"], load_data,
           npz_spec(p, x_test="xt", y_test="yt"), "classification", 0)
    np.savez(p, x=np.ones((4, 3)), y=np.array([0, 1, 0, 1]), xt=np.ones((2, 4)),
             yt=np.array([0, 1]))
    raises("D003", ["t.npz", "test features 'xt' have shape (4,)", "(3,)"], load_data,
           npz_spec(p, x_test="xt", y_test="yt"), "classification", 0)


TEST_KEY_RECIPE = """\
data {{
  source = csv("{train}", label = "y")
  {test}
  normalize = {normalize}
  validation = 0.25
}}
model {{
  input [2]
  dense(4) relu
  dense(3)
}}
loss = cross_entropy
optimizer = sgd(0.1)
train {{ epochs = 1 }}
"""


def test_test_key_through_recipe(tmp_path):
    import recipec

    train = tmp_path / "train.csv"
    train.write_text("a,b,y\n" + "".join(f"{i},{i % 5},{c}\n" for i, c in
                                         zip(range(12), ["cat", "dog", "emu"] * 4)))
    test = tmp_path / "test.csv"
    test.write_text("a,b,y\n100,1,emu\n101,2,cat\n")        # only 2 of the 3 classes
    text = TEST_KEY_RECIPE.format(train=train, test=f'test = csv("{test}", label = "y")',
                                  normalize="standard")
    r = recipec.loads(text)
    assert r.data.test is not None and r.data.test.kind == "csv"
    assert r.data.test.options == {"path": str(test), "label": "y", "header": True}
    assert r.data.scale == 1.0
    d = load_data(r.data, "classification", r.train.seed)
    assert len(d.train) == 9 and len(d.validation) == 3 and len(d.test) == 2
    assert d.class_names == ("cat", "dog", "emu") and d.num_classes == 3
    assert d.test.y.tolist() == [2, 0]                       # matched by class name
    expect = (np.array([[100, 1], [101, 2]]) - d.norm_shift) / d.norm_scale
    assert np.allclose(d.test.x, expect, rtol=1e-6)
    assert "test: csv" in d.source

    # the summary shows it; --set can change it
    from recipec.compiler.summary import summary
    assert 'test = csv(path = ' in summary(r) or "test = csv(" in summary(r)
    other = tmp_path / "other.csv"
    other.write_text("a,b,y\n1,1,dog\n")
    r2 = recipec.loads(text, overrides=[f'data.test.path="{other}"'])
    assert load_data(r2.data, "classification", 0).test.y.tolist() == [1]

    # without `test`, no test split; a default DataSpec has none either
    r3 = recipec.loads(TEST_KEY_RECIPE.format(train=train, test="", normalize="none"))
    assert r3.data.test is None and load_data(r3.data, "classification", 0).test is None
    assert spec("iris").test is None and spec("iris").scale == 1.0


def test_test_key_errors(tmp_path):
    import recipec

    train = tmp_path / "train.csv"
    train.write_text("a,b,y\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n1,2,cow\n")
    r = recipec.loads(TEST_KEY_RECIPE.format(train=train, test=f'test = csv("{bad}", '
                                             f'label = "y")', normalize="none"))
    raises("D004", ["test source", "bad.csv", "'cow' is not a class", "'cat', 'dog'"],
           load_data, r.data, "classification", 0)
    wide = tmp_path / "wide.csv"
    wide.write_text("a,b,c,y\n1,2,3,cat\n")
    r = recipec.loads(TEST_KEY_RECIPE.format(train=train, test=f'test = csv("{wide}", '
                                             f'label = "y")', normalize="none"))
    raises("D003", ["test source", "wide.csv", "[3]", "[2]"], load_data, r.data,
           "classification", 0)
    r = recipec.loads(TEST_KEY_RECIPE.format(train=train, test=f'test = csv("{tmp_path}/no.csv")',
                                             normalize="none"))
    raises("D001", ["no.csv", "not found"], load_data, r.data, "classification", 0)
    num = tmp_path / "num.csv"
    num.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    numtest = tmp_path / "numtest.csv"
    numtest.write_text("a,b,y\n1,2,cat\n")
    r = recipec.loads(TEST_KEY_RECIPE.format(train=num, test=f'test = csv("{numtest}", '
                                             f'label = "y")', normalize="none"))
    raises("D004", ["numtest.csv", "strings", "class indices"], load_data, r.data,
           "classification", 0)


def test_test_key_overrides_source_test_split(tmp_path):
    p = tmp_path / "own.npz"
    np.savez(p, x=np.ones((6, 2)), y=np.array([0, 1] * 3), x_test=np.zeros((3, 2)),
             y_test=np.array([0, 1, 0]))
    q = tmp_path / "other.npz"
    np.savez(q, x=np.full((5, 2), 2.0), y=np.array([1, 0, 1, 0, 3]))
    s = DataSpec(Call("npz", {"path": str(p), "x": "x", "y": "y", "x_test": "x_test",
                              "y_test": "y_test"}, Span.unknown()), "none", 0.0, True,
                 Span.unknown(), test=Call("npz", {"path": str(q)}, Span.unknown()))
    d = load_data(s, "classification", 0)
    assert len(d.test) == 5 and np.all(d.test.x == 2.0)
    assert d.num_classes == 4                 # numeric test labels may widen the classes
    # a test source with its own test split contributes that split
    s2 = DataSpec(s.source, "none", 0.0, True, Span.unknown(), test=s.source)
    assert len(load_data(s2, "classification", 0).test) == 3


# --------------------------------------------------------------------------- scale, per_channel

def test_scale_before_normalization(tmp_path):
    x = np.array([[0, 10], [255, 20], [128, 30], [64, 40]], float)
    p = tmp_path / "s.npz"
    np.savez(p, x=x, y=np.array([0, 1, 0, 1]))
    d = load_data(npz_spec(p, scale=0.00390625), "classification", 0)
    assert np.array_equal(d.train.x, (x / 256).astype(np.float32))
    assert np.array_equal(apply_normalization(x, d), d.train.x)      # predict() sees the same
    assert d.scale == 0.00390625
    # standard/minmax results do not depend on the scale...
    for method in ("standard", "minmax", "per_channel"):
        a = load_data(npz_spec(p, normalize=method), "classification", 0)
        b = load_data(npz_spec(p, normalize=method, scale=0.5), "classification", 0)
        assert np.allclose(a.train.x, b.train.x, atol=1e-6)
        assert np.allclose(apply_normalization(x, b), b.train.x)
    # ...except for constant features, whose scale is 1 in scaled units: only shifted
    c = tmp_path / "c.npz"
    np.savez(c, x=np.array([[3.0, 1], [3.0, 2]]), y=np.array([0, 1]))
    d = load_data(npz_spec(c, normalize="standard", scale=0.5), "classification", 0)
    assert d.train.x[:, 0].tolist() == [0.0, 0.0]


def test_per_channel_normalization(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 3, 4, 5)) * np.array([1, 10, 100])[None, :, None, None] \
        + np.array([0, -5, 50])[None, :, None, None]
    p = tmp_path / "img.npz"
    np.savez(p, x=x, y=np.arange(50) % 2)
    d = load_data(npz_spec(p, normalize="per_channel", validation=0.2), "classification", 0)
    assert d.normalize == "per_channel" and d.norm_shift.shape == (3, 4, 5)
    for c in range(3):
        ch = d.train.x[:, c]
        assert ch.mean() == pytest.approx(0, abs=1e-5) and ch.std() == pytest.approx(1, abs=1e-5)
        assert np.unique(d.norm_shift[c]).size == 1 and np.unique(d.norm_scale[c]).size == 1
    # statistics come from the training rows only
    assert d.validation.x.shape == (10, 3, 4, 5)
    assert abs(d.validation.x.mean()) > 1e-4
    assert np.allclose(apply_normalization(x[:3], d)[:, 1],
                       (x[:3, 1] - d.norm_shift[1, 0, 0]) / d.norm_scale[1, 0, 0], atol=1e-5)
    # [N, C, L] data: per channel over L
    q = tmp_path / "seq.npz"
    np.savez(q, x=x[:, :, 0, :], y=np.arange(50) % 2)
    d = load_data(npz_spec(q, normalize="per_channel"), "classification", 0)
    assert np.allclose(d.train.x.mean(axis=(0, 2)), 0, atol=1e-5)
    # flat data: the same as `standard`
    a = load_data(spec("iris", normalize="per_channel"), "classification", 0)
    b = load_data(spec("iris", normalize="standard"), "classification", 0)
    assert np.array_equal(a.train.x, b.train.x) and np.array_equal(a.norm_scale, b.norm_scale)


@pytest.mark.skipif(not os.path.exists(MNIST1D), reason="../shared/data/mnist1d not present")
def test_real_mnist1d():
    d = load_data(npz_spec(MNIST1D, x_test="x_test", y_test="y_test"), "classification", 0)
    assert d.train.x.shape == (4000, 40) and d.test.x.shape == (1000, 40)
    assert d.feature_shape == (40,) and d.num_classes == 10
    raw = np.load(MNIST1D)
    assert np.array_equal(d.test.x, raw["x_test"].astype(np.float32))
    assert np.array_equal(d.test.y, raw["y_test"])
