"""Hostile data: `recipec check` reads the data and reports what `run` would, located.

Each hostile row is a recipe plus data files that cannot work. Through `check` it must exit 2
with a `file:line:col: error[D00x]` diagnostic pointing at the recipe text that causes it (the
`source = ...` / `test = ...` call, the `reshape`/`layout`/`validation` value, the model's
`input [...]`, or its last layer), never a traceback, and start no training. Through `run` it
must fail the same way before anything compiles: this is a frontend file, whose guard fails a
test that loads a kernel, and the run rows also check that not even the graphs were built.
The positive rows check that `reshape`, `layout = hwc` and the rank-1 flattening give exactly
the arrays numpy's reshape/transpose give, for training, test and predict() alike.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hostile import accepted, cli, line_col, refused, write

import recipec
from recipec.runtime.data import apply_normalization
from recipec.runtime.errors import DataError

TEMPLATE = """\
recipe hostile
data {{
  source = {source}
  {extra}
}}
model {{
  input {input}
  {layers}
}}
loss = {loss}
optimizer = sgd(lr = 0.1)
train {{ epochs = 1  batch = 4  seed = 0 }}
"""


def recipe_text(source: str, input: str = "[2]", extra: str = "", layers: str = "dense(2)",
                loss: str = "cross_entropy") -> str:
    return TEMPLATE.format(source=source, extra=extra, input=input, layers=layers, loss=loss)


def labels(n: int, classes: int = 2) -> np.ndarray:
    return np.arange(n) % classes


def npz(folder: Path, name: str, **arrays) -> Path:
    path = folder / name
    np.savez(path, **arrays)
    return path


# -- the hostile rows ----------------------------------------------------------------------------
# Each builder writes its files into tmp_path and returns (recipe text, code, needle, mentions):
# the diagnostic must carry `code` at the first occurrence of `needle` in the recipe text.

def missing_csv(tmp):
    return recipe_text('csv("nowhere.csv", label = "y")'), "D001", 'csv("nowhere', \
        ("nowhere.csv", "not found")


def directory_as_csv(tmp):
    (tmp / "folder.csv").mkdir()
    return recipe_text('csv("folder.csv", label = "y")'), "D002", 'csv("folder', \
        ("folder.csv", "is a folder")


def _bad_csv(tmp, name, text, code, mentions):
    """A CSV file with `text` as the recipe's source; the diagnostic points at the call."""
    write(tmp, name, text)
    return recipe_text(f'csv("{name}", label = "y")'), code, f'csv("{name}"', mentions


def non_numeric_cell(tmp):
    return _bad_csv(tmp, "cells.csv", "a,b,y\n1,2,0\n3,x7,1\n5,6,0\n7,8,1\n", "D003",
                    ("line 3", "'x7'"))


def nan_cell(tmp):
    return _bad_csv(tmp, "nan.csv", "a,b,y\n1,2,0\n3,nan,1\n5,6,0\n7,8,1\n", "D003",
                    ("line 3", "not a finite number"))


def missing_label_column(tmp):
    return _bad_csv(tmp, "nolabel.csv", "a,b,class\n1,2,0\n3,4,1\n", "D004",
                    ("no label column 'y'", "'class'"))


def empty_csv(tmp):
    return _bad_csv(tmp, "empty.csv", "", "D003", ("empty.csv", "empty"))


def npz_not_a_zip(tmp):
    write(tmp, "fake.npz", b"this is not a zip archive at all\n")
    return recipe_text('npz("fake.npz")'), "D002", 'npz("fake', ("fake.npz",)


def npz_without_x(tmp):
    npz(tmp, "nox.npz", features=np.ones((4, 2)), y=labels(4))
    return recipe_text('npz("nox.npz")'), "D003", 'npz("nox', \
        ("no array 'x'", "'features'")


def npz_object_array(tmp):
    x = np.empty(4, dtype=object)
    x[:] = [[1.0], [2.0], [3.0], [4.0]]
    np.savez(tmp / "obj.npz", x=x, y=labels(4))     # an object array is stored pickled
    return recipe_text('npz("obj.npz")'), "D003", 'npz("obj', ("object array", "pickle")


def shape_differs_from_input(tmp):
    npz(tmp, "six.npz", x=np.ones((4, 6)), y=labels(4))
    return recipe_text('npz("six.npz")', input="[1, 2, 3]", layers="flatten dense(2)"), \
        "D003", "input [1, 2, 3]", ("have shape [6]", "the model's input is [1, 2, 3]",
                                    "reshape = [1, 2, 3]")


def channels_last_without_layout(tmp):
    npz(tmp, "hwc.npz", x=np.ones((4, 2, 3, 4)), y=labels(4))
    return recipe_text('npz("hwc.npz")', input="[4, 2, 3]", layers="flatten dense(2)"), \
        "D003", "input [4, 2, 3]", ("[2, 3, 4]", "[4, 2, 3]", "layout = hwc")


def rank1_input_of_another_size(tmp):
    npz(tmp, "img.npz", x=np.ones((4, 1, 2, 3)), y=labels(4))
    return recipe_text('npz("img.npz")', input="[5]"), "D003", "input [5]", \
        ("[1, 2, 3]", "[5]")


def reshape_wrong_count(tmp):
    npz(tmp, "six.npz", x=np.ones((4, 6)), y=labels(4))
    return recipe_text('npz("six.npz")', extra="reshape = [1, 2, 4]", input="[1, 2, 4]",
                       layers="flatten dense(2)"), "D003", "[1, 2, 4]", \
        ("reshape = [1, 2, 4] holds 8 values", "[6] (6 values)")


def reshape_to_another_shape_than_input(tmp):
    npz(tmp, "six.npz", x=np.ones((4, 6)), y=labels(4))
    return recipe_text('npz("six.npz")', extra="reshape = [2, 3]", input="[3, 2]",
                       layers="flatten dense(2)"), "D003", "input [3, 2]", \
        ("[2, 3] (stored as [6])", "input is [3, 2]")


def layout_hwc_on_rank1(tmp):
    npz(tmp, "flat.npz", x=np.ones((4, 6)), y=labels(4))
    return recipe_text('npz("flat.npz")', extra="layout = hwc", input="[6]"), "D003", "hwc", \
        ("layout = hwc needs samples of shape [H, W, C]", "[6]")


def labels_beyond_outputs(tmp):
    npz(tmp, "five.npz", x=np.ones((10, 2)), y=labels(10, classes=5))
    return recipe_text('npz("five.npz")', layers="dense(8) relu dense(3) relu"), "D004", \
        "dense(3)", ("5 classes", "outputs 3 logits", "dense(5)")


def targets_beyond_outputs(tmp):
    write(tmp, "reg.csv", "a,b,t\n1,2,0.5\n3,4,1.5\n5,6,2.5\n7,8,3.5\n")
    return recipe_text('csv("reg.csv", label = "t")', layers="dense(3)", loss="mse"), \
        "D003", "dense(3)", ("targets have shape [1]", "outputs [3]")


def other_shaped_test_source(tmp):
    npz(tmp, "train.npz", x=np.ones((4, 6)), y=labels(4))
    npz(tmp, "test.npz", x=np.ones((4, 2, 3)), y=labels(4))
    return recipe_text('npz("train.npz")', extra='test = npz("test.npz")', input="[6]"), \
        "D003", 'npz("test', ("test source", "[2, 3]", "[6]")


def missing_test_source(tmp):
    npz(tmp, "train.npz", x=np.ones((4, 2)), y=labels(4))
    return recipe_text('npz("train.npz")', extra='test = npz("gone.npz")'), "D001", \
        'npz("gone', ("gone.npz", "not found")


def unknown_test_labels(tmp):
    write(tmp, "named.csv", "a,b,y\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n")
    write(tmp, "named_test.csv", "a,b,y\n1,2,cow\n")
    return recipe_text('csv("named.csv", label = "y")',
                       extra='test = csv("named_test.csv", label = "y")'), "D004", \
        'csv("named_test', ("'cow' is not a class",)


def mnist_folder_missing_a_file(tmp):
    from test_idx import mnist_folder

    root, _ = mnist_folder(tmp / "mnist", n_train=4, n_test=2)
    victim = next(p for p in root.iterdir() if p.name.startswith("t10k-labels"))
    victim.unlink()
    return recipe_text('mnist("mnist")', input="[784]"), "D001", 'mnist("mnist', \
        ("t10k-labels",)


def validation_leaves_no_training_rows(tmp):
    npz(tmp, "two.npz", x=np.ones((2, 2)), y=labels(2))
    return recipe_text('npz("two.npz")', extra="validation = 0.9"), "D003", "0.9", \
        ("validation=0.9", "at least 1")


def idx_images_missing(tmp):
    return recipe_text('idx("imgs.idx", "labs.idx")'), "D001", 'idx("imgs', ("imgs.idx",)


HOSTILE = [missing_csv, directory_as_csv, non_numeric_cell, nan_cell, missing_label_column,
           empty_csv, npz_not_a_zip, npz_without_x, npz_object_array, shape_differs_from_input,
           channels_last_without_layout, rank1_input_of_another_size, reshape_wrong_count,
           reshape_to_another_shape_than_input, layout_hwc_on_rank1, labels_beyond_outputs,
           targets_beyond_outputs, other_shaped_test_source, missing_test_source,
           unknown_test_labels, mnist_folder_missing_a_file,
           validation_leaves_no_training_rows, idx_images_missing]


def _case(tmp_path, build):
    text, code, needle, mentions = build(tmp_path)
    return write(tmp_path, "r.recipe", text), text, code, line_col(text, needle), mentions


@pytest.mark.parametrize("build", HOSTILE, ids=[b.__name__ for b in HOSTILE])
def test_check_reports_the_data_problem_where_the_recipe_causes_it(tmp_path, build):
    path, text, code, at, mentions = _case(tmp_path, build)
    out = cli("check", path)
    refused(out, code, at=at, mentions=mentions)
    assert out.err.startswith(f"{path}:{at[0]}:{at[1]}: error[{code}]: "), out.err
    # the source line and a caret under the cause, as for any recipe diagnostic
    line = text.split("\n")[at[0] - 1]
    assert f"{at[0]:>5} | {line}".rstrip() in out.err, out.err
    assert "^" in out.err and out.out == ""       # no summary: the check did not pass


RUN_ROWS = [missing_csv, shape_differs_from_input, reshape_wrong_count, labels_beyond_outputs,
            other_shaped_test_source, npz_object_array]


@pytest.fixture
def nothing_compiled(monkeypatch):
    """Fails the test if a recipe's graphs are even built (the kernels come after them)."""
    from recipec.compiler import pipeline

    calls = []
    real = pipeline.compile_recipe
    monkeypatch.setattr(pipeline, "compile_recipe",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    yield calls
    assert not calls, "the recipe was compiled although its data cannot work"


@pytest.mark.parametrize("build", RUN_ROWS, ids=[b.__name__ for b in RUN_ROWS])
def test_run_refuses_before_compiling(tmp_path, build, nothing_compiled):
    path, _, code, at, mentions = _case(tmp_path, build)
    out = cli("run", path)
    refused(out, code, at=at, mentions=mentions)
    assert "kernels ready" not in out.err and "train:" not in out.out


def test_set_path_to_a_missing_file_points_at_the_source_call(tmp_path):
    npz(tmp_path, "ok.npz", x=np.ones((4, 2)), y=labels(4))
    text = recipe_text('npz("ok.npz")')
    path = write(tmp_path, "r.recipe", text)
    accepted(cli("check", path))
    out = cli("check", path, "--set", 'data.source.path="missing.npz"')
    refused(out, "D001", at=line_col(text, 'npz("ok'), mentions="missing.npz")


@pytest.mark.parametrize("build", [missing_csv, labels_beyond_outputs, reshape_wrong_count],
                         ids=lambda b: b.__name__)
def test_python_api_reads_the_data_before_compiling(tmp_path, build, nothing_compiled):
    """compile() then fit(): the data is read and checked first, the same located error."""
    path, _, code, at, _ = _case(tmp_path, build)
    recipe = recipec.load(path)
    with pytest.raises(DataError) as checked:
        recipec.check_data(recipe)
    nothing_compiled.clear()        # compile() builds the graphs (no kernel); fit() must not
    program = recipec.compile(recipe)
    nothing_compiled.clear()
    for attempt in (program.fit, program.load_data):
        with pytest.raises(DataError) as err:
            attempt()
        assert err.value.code == code and (err.value.span.line, err.value.span.col) == at
        assert err.value.span == checked.value.span and str(err.value) == str(checked.value)
    assert program.compiled.executable is None      # no kernel was generated


# -- the positive rows: what reshape, layout and flattening give ----------------------------------

def _data(tmp_path, source, **kw):
    path = write(tmp_path, "r.recipe", recipe_text(source, **kw))
    accepted(cli("check", path))
    return recipec.check_data(recipec.load(path))


def test_reshape_reads_each_sample_in_row_major_order(tmp_path):
    x = np.arange(8 * 12, dtype=np.float64).reshape(8, 12)
    npz(tmp_path, "flat.npz", x=x, y=labels(8))
    d = _data(tmp_path, 'npz("flat.npz")', extra="reshape = [3, 2, 2]", input="[3, 2, 2]",
              layers="flatten dense(2)")
    assert d.feature_shape == (3, 2, 2) and d.source_shape == (12,)
    np.testing.assert_array_equal(d.train.x, x.reshape(8, 3, 2, 2).astype(np.float32))


def test_layout_hwc_converts_to_channels_first_for_train_test_and_predict(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 2, 3, 4))                  # [N, H, W, C]
    xt = rng.normal(size=(4, 2, 3, 4))
    npz(tmp_path, "hwc.npz", x=x, y=labels(8))
    npz(tmp_path, "hwc_test.npz", x=xt, y=labels(4))
    d = _data(tmp_path, 'npz("hwc.npz")', extra='layout = hwc  test = npz("hwc_test.npz")',
              input="[4, 2, 3]", layers="flatten dense(2)")
    chw = x.transpose(0, 3, 1, 2)
    assert d.feature_shape == (4, 2, 3) and d.source_shape == (2, 3, 4)
    np.testing.assert_array_equal(d.train.x, chw.astype(np.float32))
    assert d.train.x.flags.c_contiguous
    np.testing.assert_array_equal(d.test.x, xt.transpose(0, 3, 1, 2).astype(np.float32))
    # predict()'s path takes samples stored as the source stores them, one or many
    np.testing.assert_array_equal(apply_normalization(x, d), d.train.x)
    np.testing.assert_array_equal(apply_normalization(x[3], d), d.train.x[3])
    with pytest.raises(ValueError, match="feature shape"):
        apply_normalization(chw, d)                     # already converted: not the source's


def test_reshape_then_layout_and_per_channel_statistics(tmp_path):
    rng = np.random.default_rng(1)
    hwc = rng.normal(size=(10, 2, 3, 4)) * np.array([1, 10, 100, 1000])   # channel scales
    npz(tmp_path, "rows.npz", x=hwc.reshape(10, 24), y=labels(10))
    d = _data(tmp_path, 'npz("rows.npz")',
              extra="reshape = [2, 3, 4]  layout = hwc  normalize = per_channel",
              input="[4, 2, 3]", layers="flatten dense(2)")
    chw = hwc.transpose(0, 3, 1, 2)
    mean = chw.mean(axis=(0, 2, 3))
    std = chw.std(axis=(0, 2, 3))
    expect = (chw - mean[None, :, None, None]) / std[None, :, None, None]
    np.testing.assert_allclose(d.train.x, expect, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(apply_normalization(hwc.reshape(10, 24), d), d.train.x,
                               rtol=1e-6, atol=1e-6)


def test_rank1_input_reads_images_flattened(tmp_path):
    x = np.arange(8 * 6, dtype=np.float64).reshape(8, 1, 2, 3)
    npz(tmp_path, "img.npz", x=x, y=labels(8))
    d = _data(tmp_path, 'npz("img.npz")', input="[6]")
    # the stored shape is kept (per_channel statistics see the channels); the kernels read
    # each sample's 6 values in row-major order
    assert d.feature_shape == (1, 2, 3)
    np.testing.assert_array_equal(d.train.x.reshape(8, -1), x.reshape(8, 6))


def test_check_prints_the_samples_it_read(tmp_path):
    npz(tmp_path, "flat.npz", x=np.ones((8, 12)), y=labels(8))
    path = write(tmp_path, "r.recipe", recipe_text(
        'npz("flat.npz")', extra="reshape = [3, 4]  validation = 0.25", input="[3, 4]",
        layers="flatten dense(2)"))
    out = cli("check", path)
    accepted(out)
    assert "reshape = [3, 4]" in out.out
    assert "6 train, 2 validation; each [3, 4]" in out.out


@pytest.mark.cpu
def test_predict_takes_channels_last_samples(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 2, 3, 4))
    npz(tmp_path, "hwc.npz", x=x, y=labels(8))
    path = write(tmp_path, "r.recipe", recipe_text(
        'npz("hwc.npz")', extra="layout = hwc  normalize = standard", input="[4, 2, 3]",
        layers="flatten dense(2)"))
    program = recipec.compile(recipec.load(path))
    program.fit(steps=1)
    raw = program.predict(x)
    np.testing.assert_allclose(raw, program.predict(program.data.train.x, normalized=True),
                               rtol=1e-6)
    assert raw.shape == (8, 2)


def test_check_no_data_checks_the_recipe_alone(tmp_path):
    # `--no-data` is for a recipe written where its data is not: the text is checked, the
    # missing file is not opened; without it the same recipe is refused at its source
    text = ("recipe offline\ndata { source = csv(\"elsewhere/train.csv\", label = \"y\") }\n"
            "model { input [4] dense(3) }\nloss = cross_entropy\noptimizer = sgd(lr = 0.1)\n"
            "train { epochs = 1 }\n")
    path = write(tmp_path, "offline.recipe", text)
    alone = cli("check", "--no-data", path)
    accepted(alone)
    assert "offline" in alone.out and "samples" not in alone.out
    refused(cli("check", path), "D001", at=line_col(text, "csv("))
