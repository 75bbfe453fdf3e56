"""Hostile input to the Python API and to the CLI's run time: a training that diverges, predict
on samples of the wrong shape or kind, evaluate on a split that is not there, fit with counts
that are not counts, a --report path that cannot be written, a damaged kernel cache.

Each case asserts the outcome (exit code or exception type), a message that says what was
wrong, no traceback, and that nothing trained where the input was wrong. The recipes are tiny
(iris, one hidden layer of 8) and train a few steps; they compile once into the kernel cache.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import recipec
from hostile import cli, cli_subprocess, no_traceback, write
from recipec.compiler.lower import bytecode
from recipec.compiler.lower.cpu import machine_code
from recipec.runtime.errors import TrainingDiverged

CLASSIFIER = """recipe tiny_classifier
data { source = iris() normalize = standard validation = 0.25 shuffle = true }
model { input [4] dense(8) relu dense(3) }
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 2 batch = 16 seed = 0 }
metrics = [accuracy]
"""
REGRESSOR = """recipe tiny_regressor
data { source = iris() normalize = standard validation = 0.25 }
model { input [4] dense(8) relu dense(1) }
loss = mse
optimizer = sgd(lr = 1e3)
train { epochs = 2 batch = 16 seed = 0 }
"""


@pytest.fixture(scope="module")
def classifier():
    """The classifier, trained one epoch (so its data is loaded and its kernels are in this
    process)."""
    program = recipec.compile(recipec.loads(CLASSIFIER, "tiny_classifier.recipe"))
    program.fit(epochs=1)
    return program


# -- divergence --------------------------------------------------------------------------------
def _diverged_on_the_cli(out, recipe: Path) -> None:
    """Exit 2, error[T001] naming the epoch and step and the loss, a help line, no traceback,
    and the run stopped: no final metrics, no 'trained N steps'."""
    assert out.code == 2, out.text
    no_traceback(out)
    assert f"{recipe}: error[T001]: training diverged: the loss is " in out.err, out.err
    assert "at epoch 1, step " in out.err and "(global step " in out.err, out.err
    assert "= help: lower the learning rate" in out.err, out.err
    assert "trained " not in out.err and "validation:" not in out.out, out.text


@pytest.mark.parametrize("text, overrides", [
    (CLASSIFIER, ["optimizer.lr=1e6"]),
    (REGRESSOR, []),
], ids=["cli_classifier_lr_1e6", "cli_regressor_lr_1e3"])
def test_a_diverging_run_stops_with_T001(tmp_path, text, overrides):
    recipe = write(tmp_path, "diverges.recipe", text)
    report = tmp_path / "out.json"
    args = [f"--set={o}" for o in overrides]
    out = cli("run", recipe, *args, "--report", report)
    _diverged_on_the_cli(out, recipe)
    assert not report.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["diverges.recipe"]   # no probe left


@pytest.mark.parametrize("text, overrides", [
    (CLASSIFIER, ["optimizer.lr=1e6"]),
    (REGRESSOR, []),
], ids=["api_classifier_lr_1e6", "api_regressor_lr_1e3"])
def test_fit_raises_TrainingDiverged_and_keeps_the_chunk(text, overrides):
    program = recipec.compile(recipec.loads(text, "diverges.recipe", overrides))
    with pytest.raises(TrainingDiverged) as caught:
        program.fit()
    err = caught.value
    assert err.code == "T001" and err.epoch == 1 and not np.isfinite(err.loss)
    assert 1 <= err.step_in_epoch <= err.steps_per_epoch == 7
    assert err.global_step == err.step_in_epoch and err.parameter is None
    assert f"epoch 1, step {err.step_in_epoch} of 7 (global step {err.global_step}" in str(err)
    # stopped at the end of the chunk that held the bad step, the state as it left it
    assert err.global_step <= program.state.step <= 7
    assert program.state.epoch == program.state.step // 7
    assert program.state.step < program.recipe.train.total_steps(7)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_parameters_that_overflow_while_the_loss_is_finite_stop_the_run():
    """lr = 1e39 is infinite in float32: the first step's loss (computed before the update) is
    finite, the weights after it are not."""
    program = recipec.compile(recipec.loads(CLASSIFIER, "overflow.recipe",
                                            ["optimizer.lr=1e39"]))
    with pytest.raises(TrainingDiverged) as caught:
        program.fit(steps=1)
    err = caught.value
    assert np.isfinite(err.loss) and err.parameter is not None, err
    assert f"parameter {err.parameter} became non-finite" in str(err)
    assert program.state.step == 1 and err.global_step == 1


def test_the_check_can_be_turned_off():
    program = recipec.compile(recipec.loads(CLASSIFIER, "off.recipe", ["optimizer.lr=1e6"]))
    program.check_divergence = False
    history = program.fit(steps=7)
    assert history.steps == 7 and not np.isfinite(history.epochs[-1].train["loss"])


# -- predict, evaluate, fit ----------------------------------------------------------------------
API_CASES = {
    # id: (call on the trained classifier, exception, what the message must say)
    "predict_one_sample": (lambda p: p.predict(np.zeros(4)), ValueError,
                           ["samples shaped [N, 4]", "shape (4,)", "pass x[None]"]),
    "predict_wrong_features": (lambda p: p.predict(np.zeros((5, 3))), ValueError,
                               ["samples shaped [N, 4]", "shape (5, 3)"]),
    "predict_rank_3": (lambda p: p.predict(np.zeros((2, 4, 1))), ValueError,
                       ["samples shaped [N, 4]", "shape (2, 4, 1)"]),
    "predict_scalar": (lambda p: p.predict(3.0), ValueError, ["shape ()"]),
    "predict_nan": (lambda p: p.predict(np.array([[1, 2, 3, 4], [1, np.nan, 3, 4]])),
                    ValueError, ["sample 1 holds nan", "finite"]),
    "predict_inf": (lambda p: p.predict(np.array([[1, 2, 3, -np.inf]])), ValueError,
                    ["sample 0 holds -inf"]),
    "predict_beyond_float32": (lambda p: p.predict(np.array([[1, 2, 3, 1e300]])), ValueError,
                               ["beyond float32's range"]),
    "predict_strings": (lambda p: p.predict(np.array([["a", "b", "c", "d"]])), TypeError,
                        ["predict takes numbers", "<U1"]),
    "predict_ragged": (lambda p: p.predict([[1, 2, 3, 4], [1, 2]]), ValueError,
                       ["not a rectangular array"]),
    "evaluate_unknown_split": (lambda p: p.evaluate("nope"), ValueError,
                               ["evaluate('nope'): unknown split",
                                "'train', 'validation' or 'test'",
                                "this recipe's data has 'train' and 'validation'"]),
    "evaluate_missing_test": (lambda p: p.evaluate("test"), ValueError,
                              ["no test split", "it has 'train' and 'validation'",
                               "test = <source>"]),
    "fit_epochs_0": (lambda p: p.fit(epochs=0), ValueError, ["epochs must be >= 1"]),
    "fit_epochs_negative": (lambda p: p.fit(epochs=-2), ValueError, ["epochs must be >= 1"]),
    "fit_epochs_fraction": (lambda p: p.fit(epochs=2.5), TypeError,
                            ["fit(epochs=2.5)", "whole number"]),
    "fit_steps_text": (lambda p: p.fit(steps="3"), TypeError, ["fit(steps='3')"]),
    "fit_steps_bool": (lambda p: p.fit(steps=True), TypeError, ["whole number"]),
    "fit_both": (lambda p: p.fit(epochs=1, steps=2), ValueError, ["epochs or steps, not both"]),
}


@pytest.mark.parametrize("case", list(API_CASES), ids=list(API_CASES))
def test_api_refuses(classifier, case):
    call, error, mentions = API_CASES[case]
    before = classifier.state.step
    with pytest.raises(error) as caught:
        call(classifier)
    assert type(caught.value) is error
    for text in mentions:
        assert text in str(caught.value), (text, str(caught.value))
    assert classifier.state.step == before          # nothing trained


def test_predict_accepts_a_batch_and_an_empty_one(classifier):
    assert classifier.predict(np.ones((3, 4))).shape == (3, 3)
    assert classifier.predict([[1, 2, 3, 4]]).shape == (1, 3)
    assert classifier.predict(np.ones((1, 4), np.int64)).shape == (1, 3)
    assert classifier.predict(np.zeros((0, 4))).shape == (0, 3)


def test_evaluate_names_the_missing_validation_split():
    program = recipec.compile(recipec.loads(CLASSIFIER.replace("validation = 0.25", ""),
                                            "noval.recipe"))
    with pytest.raises(ValueError, match=r"no validation split \(it has 'train'\); set "
                                         r"`validation = 0.2`"):
        program.evaluate("validation")


# -- --report paths ----------------------------------------------------------------------------
def _folder(tmp_path):
    (tmp_path / "reports").mkdir()
    return tmp_path / "reports"


def _read_only(tmp_path):
    folder = _folder(tmp_path)
    folder.chmod(0o555)
    return folder / "out.json"


def _not_a_folder(tmp_path):
    write(tmp_path, "plain.txt", "x")
    return tmp_path / "plain.txt" / "out.json"


def _under_a_file_deeper(tmp_path):
    write(tmp_path, "plain.txt", "x")
    return tmp_path / "plain.txt" / "sub" / "out.json"


def _missing_in_read_only(tmp_path):
    return _read_only(tmp_path).parent / "sub" / "out.json"


REPORT_CASES = {
    # id: (the --report path, made in tmp_path; what the message says). A missing folder is
    # not among them: the report's folders are created (test_a_writable_report_path...)
    "report_is_a_folder": (_folder, "is a folder"),
    "report_under_a_file": (_not_a_folder, "is not a folder"),
    "report_under_a_file_deeper": (_under_a_file_deeper, "is not a folder"),
    "report_is_dev_null": (lambda t: Path(os.devnull), "not a regular file"),
    "report_in_read_only_folder": (_read_only, "cannot create a file in folder"),
    "report_missing_folder_in_read_only": (_missing_in_read_only,
                                           "cannot create a file in folder"),
}


@pytest.mark.parametrize("case", list(REPORT_CASES), ids=list(REPORT_CASES))
def test_an_unusable_report_path_is_refused_before_training(tmp_path, case):
    if "read_only" in case and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders: the permission cannot be tested")
    make, why = REPORT_CASES[case]
    recipe = write(tmp_path, "tiny.recipe", CLASSIFIER)
    report = make(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    out = cli("run", recipe, "--report", report)
    assert out.code == 2, out.text
    no_traceback(out)
    assert f"recipec: error: --report {report}: " in out.err and why in out.err, out.err
    assert not out.trained, out.text
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_a_report_in_missing_folders_is_written_there(tmp_path):
    recipe = write(tmp_path, "tiny.recipe", CLASSIFIER)
    report = tmp_path / "new" / "deeper" / "out.json"
    out = cli("run", recipe, "--set", "train.epochs=1", "--quiet", "--report", report)
    assert out.code == 0, out.text
    assert json.loads(report.read_text())["recipe"] == "tiny_classifier"
    assert sorted(p.name for p in report.parent.iterdir()) == ["out.json"]   # no probe left


# -- the kernel cache --------------------------------------------------------------------------
FOREIGN = "raise SystemExit(7)\n"


def _legacy_pyc(module: Path, code: str) -> bytes:
    """A timestamp .pyc as Python writes it, stamped with `module`'s own mtime and size (so
    Python's pyc check passes it) but holding `code`."""
    stat = module.stat()
    header = importlib.util.MAGIC_NUMBER + struct.pack("<III", 0, int(stat.st_mtime) & 0xFFFFFFFF,
                                                        stat.st_size & 0xFFFFFFFF)
    return header + marshal.dumps(compile(code, str(module), "exec"))


def _foreign_bytecode(module: Path, code: str) -> bytes:
    """An intact bytecode file of recipec's format, but of another source (`code`)."""
    source = code.encode()
    head = bytecode._head(source)
    body = marshal.dumps(compile(source, str(module), "exec"))
    return head + hashlib.sha256(body).digest() + body


def _damage(files: dict, case: str) -> Path:
    """Damage one file of the copied cache as `case` says; returns the file."""
    module, train = files["module"], files["train_chunk"]
    if case == "module_truncated":
        module.write_text(module.read_text()[: module.stat().st_size // 2])
        return module
    if case == "module_foreign":
        module.write_text(FOREIGN)
        return module
    if case == "bytecode_garbage":
        files["bytecode"].write_bytes(os.urandom(3000))
        return files["bytecode"]
    if case == "bytecode_foreign":
        files["bytecode"].write_bytes(_foreign_bytecode(module, FOREIGN))
        return files["bytecode"]
    if case == "pycache_foreign_right_mtime":
        pyc = Path(importlib.util.cache_from_source(str(module)))
        pyc.parent.mkdir(exist_ok=True)
        pyc.write_bytes(_legacy_pyc(module, FOREIGN))
        return pyc
    if case == "machine_code_truncated":
        train.write_bytes(train.read_bytes()[:200])
        return train
    if case == "machine_code_foreign":        # another entry's intact file in its place
        shutil.copyfile(files["predict_chunk"], train)
        return train
    raise AssertionError(case)


CACHE_CASES = ["module_truncated", "module_foreign", "bytecode_garbage", "bytecode_foreign",
               "pycache_foreign_right_mtime", "machine_code_truncated", "machine_code_foreign"]


@pytest.fixture(scope="module")
def seeded_cache(classifier, tmp_path_factory):
    """A private kernel cache holding the helper library and the classifier's kernels,
    copied from the shared one (so no case compiles the library)."""
    executable = classifier.executable
    executable.warm_up()
    seed = tmp_path_factory.mktemp("seed") / "kernels"
    (seed / "machine_code").mkdir(parents=True)
    (seed / "bytecode").mkdir()
    for module in (Path(executable.library.path), Path(executable.kernels.path)):
        shutil.copy2(module, seed / module.name)
        shutil.copy2(bytecode.path(module), seed / "bytecode")
        for file in (module.parent / "machine_code").glob(f"{module.stem}.*.bin"):
            shutil.copy2(file, seed / "machine_code")
    return seed, Path(executable.kernels.path).name


@pytest.mark.parametrize("case", CACHE_CASES, ids=CACHE_CASES)
def test_a_damaged_kernel_cache_is_rebuilt_and_the_run_trains(tmp_path, monkeypatch,
                                                              seeded_cache, case):
    seed, module_name = seeded_cache
    cache = tmp_path / "cache"
    shutil.copytree(seed, cache / "kernels")
    module = cache / "kernels" / module_name
    files = {"module": module, "bytecode": bytecode.path(module),
             **{k: machine_code.path(str(module), k) for k in ("train_chunk", "predict_chunk")}}
    assert all(f.exists() for f in files.values()), files
    damaged = _damage(files, case)
    recipe = write(tmp_path, "tiny.recipe", CLASSIFIER)
    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(cache))     # a new process reads it afresh
    out = cli_subprocess("run", recipe, "--set", "train.epochs=1")
    assert out.code == 0, out.text           # 7 would be the foreign code, <0 a crash
    no_traceback(out)
    assert "trained 7 steps" in out.err and "validation: loss" in out.out, out.text
    # the damaged file was rebuilt whole (a stale __pycache__ file is simply never read)
    source = module.read_text()
    assert source.startswith('"""Generated by recipec')
    head = bytecode._head(source.encode())
    assert bytecode.load(files["bytecode"], head) is not None
    if case.startswith("machine_code"):
        data = damaged.read_bytes()
        end = data.index(b"\n", len(machine_code.MAGIC))
        header = json.loads(data[len(machine_code.MAGIC):end])
        assert header["for"][:2] == [module.stem, "train_chunk"], header
