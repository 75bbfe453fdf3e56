"""`distill { teacher = ...  temperature  alpha }`: the checker, the loss in the compiled step
against the numpy reference, the teacher's targets, and whole runs from a saved model and
from a recipe teacher."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import recipec
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.ops import get_op

TEACHER = """recipe teacher
data {{ source = digits  normalize = {normalize} }}
model {{ input [64] dense(32) relu dense({classes}) }}
loss = cross_entropy
optimizer = adam(lr = 0.01)
train {{ epochs = 3  batch = 32  seed = 1 }}
metrics = [accuracy]
"""

STUDENT = """recipe student
data {{ source = digits  normalize = standard }}
model {{ input [64] dense(8) relu dense(10) }}
loss = {loss}
optimizer = adam(lr = 0.01)
train {{ epochs = 2  batch = 32  seed = 0 }}
metrics = [accuracy]
distill {{ {distill} }}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _student(folder: Path, distill: str, loss: str = "cross_entropy") -> Path:
    return _write(folder, "student.recipe", STUDENT.format(loss=loss, distill=distill))


def _codes(path: Path, overrides=()) -> list[tuple[str, str]]:
    with pytest.raises(RecipeError) as err:
        recipec.load(path, overrides)
    return [(d.code, d.message) for d in err.value.diagnostics]


@pytest.fixture()
def teacher_recipe(tmp_path):
    return _write(tmp_path, "teacher.recipe", TEACHER.format(normalize="minmax", classes=10))


@pytest.fixture(scope="module")
def teacher_model(tmp_path_factory):
    """A digits teacher trained and saved as `recipec run` leaves one."""
    from recipec.runtime.model import save_model
    folder = tmp_path_factory.mktemp("teacher")
    path = _write(folder, "teacher.recipe", TEACHER.format(normalize="minmax", classes=10))
    program = recipec.compile(recipec.load(path))
    program.fit()
    save_model(program, folder / "model")
    return folder / "model"


# -- the checker ---------------------------------------------------------------------------
@pytest.mark.frontend
def test_a_distill_section_checks_into_its_spec(tmp_path, teacher_recipe):
    recipe = recipec.load(_student(tmp_path, 'teacher = "teacher.recipe"  temperature = 2'))
    d = recipe.distill
    assert (d.teacher, d.path, d.temperature, d.alpha) == ("recipe", "teacher.recipe", 2.0, 0.9)
    recipe = recipec.load(_student(tmp_path, 'teacher = recipe("teacher.recipe")'),
                          ["distill.alpha=0.5"])
    assert (recipe.distill.teacher, recipe.distill.alpha) == ("recipe", 0.5)


@pytest.mark.frontend
@pytest.mark.parametrize("distill, code, words", [
    ('teacher = model("nowhere")', "E309", "no saved model in"),
    ('teacher = "nowhere.recipe"', "E309", "no recipe file at"),
    ('teacher = "teacher.recipe"  temperature = 0', "E202", "temperature"),
    ('teacher = "teacher.recipe"  alpha = 1.5', "E202", "alpha"),
    ('teacher = "teacher.recipe"  warmth = 2', "E101", "warmth"),
    ('temperature = 2', "E106", "teacher"),
    ('teacher = 4', "E201", "teacher"),
])
def test_bad_distill_values_are_diagnostics(tmp_path, teacher_recipe, distill, code, words):
    found = _codes(_student(tmp_path, distill))
    assert any(c == code and words in m for c, m in found), found


@pytest.mark.frontend
def test_a_teacher_of_other_classes_or_inputs_is_refused(tmp_path):
    _write(tmp_path, "teacher.recipe", TEACHER.format(normalize="none", classes=5))
    (found,) = _codes(_student(tmp_path, 'teacher = "teacher.recipe"'))
    assert found[0] == "E309" and "outputs [5], the student [10]" in found[1]
    _write(tmp_path, "teacher.recipe", TEACHER.format(normalize="none", classes=10)
           .replace("input [64]", "input [1, 8, 8] flatten"))
    (found,) = _codes(_student(tmp_path, 'teacher = "teacher.recipe"'))
    assert found[0] == "E309" and "takes inputs [1, 8, 8]" in found[1]
    _write(tmp_path, "teacher.recipe", "recipe broken\nmodel { input [64] dense(10) }\n")
    (found,) = _codes(_student(tmp_path, 'teacher = "teacher.recipe"'))
    assert found[0] == "E309" and "does not check" in found[1]


@pytest.mark.frontend
def test_distillation_pairs_with_plain_cross_entropy_only(tmp_path, teacher_recipe):
    for loss in ("cross_entropy(label_smoothing = 0.1)", "hinge"):
        found = _codes(_student(tmp_path, 'teacher = "teacher.recipe"', loss))
        assert any(c == "E201" and "plain cross-entropy" in m for c, m in found), found


@pytest.mark.frontend
def test_distillation_beside_a_search_is_refused(tmp_path, teacher_recipe):
    path = _student(tmp_path, 'teacher = "teacher.recipe"')
    path.write_text(path.read_text().replace("adam(lr = 0.01)", "adam(lr = choice(0.01, 0.1))")
                    + "search { trials = 2 }\n")
    found = _codes(path)
    assert any(c == "E201" and "distill" in m for c, m in found), found


# -- the step --------------------------------------------------------------------------------
def test_the_compiled_loss_is_the_reference_and_the_targets_are_the_teachers(
        tmp_path, teacher_model):
    path = _student(tmp_path, f'teacher = model("{teacher_model}")  temperature = 3  '
                              'alpha = 0.7')
    program = recipec.compile(recipec.load(path))
    data = program.load_data()
    program.warm_up()
    teacher = program.distill_teacher()
    packed = teacher.packed(data.train, data)
    n = len(data.train)
    assert packed.shape == (n, 11) and packed.dtype == np.float32
    np.testing.assert_array_equal(packed[:, -1], data.train.y)
    np.testing.assert_allclose(packed[:, :-1].sum(axis=1), 1.0, rtol=1e-5)
    # the teacher sees the student's rows in its own preparation (minmax, not standard):
    # its soft targets are what the saved model predicts on the raw digits, softened
    from sklearn.datasets import load_digits
    raw = load_digits().data
    loaded = recipec.load_model(teacher_model)
    logits = loaded.program.outputs(loaded.program.prepare_inputs(raw)).astype(np.float64)
    soft = np.exp(logits / 3 - (logits / 3).max(axis=1, keepdims=True))
    soft /= soft.sum(axis=1, keepdims=True)
    rows = {tuple(np.round(r, 4)) for r in soft[:50]}
    assert sum(tuple(np.round(r, 4)) in rows for r in packed[:, :-1].astype(np.float64)) >= 45

    x, _ = program._arrays(data.train)
    before = program.outputs(x[:32])
    ex = program.executable
    losses, corrects = ex.train_chunk(x, packed, np.arange(n, dtype=np.int64), 0, 1, 32,
                                      np.zeros(1, np.float32))
    want = get_op("distill_ce").reference(before, packed[:32], 3.0, 0.7)
    assert losses[0] == pytest.approx(float(want), rel=1e-5)
    assert corrects[0] == int((before.argmax(axis=1) == data.train.y[:32]).sum())
    hypers = {h.name for h in program.graphs.hypers}
    assert {"distill.temperature", "distill.alpha"} <= hypers    # run-time: no recompile


def test_a_distilled_run_from_a_saved_teacher_is_reported_and_its_model_stands_alone(
        tmp_path, teacher_model):
    teacher = tmp_path / "teacher_copy"
    shutil.copytree(teacher_model, teacher)
    path = _student(tmp_path, 'teacher = model("teacher_copy")')
    out = subprocess.run([sys.executable, "-m", "recipec", "run", str(path), "--runs",
                          str(tmp_path / "runs")], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "distill: teacher model" in out.stderr and "accuracy" in out.stderr
    report = json.loads(next((tmp_path / "runs").rglob("report.json")).read_text())
    assert report["distill"]["temperature"] == 4.0 and report["distill"]["alpha"] == 0.9
    assert 0.5 < report["distill"]["teacher_train_accuracy"] <= 1.0
    shutil.rmtree(teacher)            # the student's model no longer needs its teacher
    model = recipec.load_model(next((tmp_path / "runs").rglob("model.json")).parent)
    assert set(model.evaluate("train")) == {"loss", "accuracy"}


def test_a_recipe_teacher_is_trained_first(tmp_path, teacher_recipe):
    program = recipec.compile(recipec.load(_student(tmp_path, 'teacher = "teacher.recipe"')))
    told = []
    program.on_teacher_train = told.append
    history = program.fit()
    assert told == [tmp_path / "teacher.recipe"]
    assert program.teacher.description.startswith("recipe")
    assert len(history.epochs) == 2 and np.isfinite(history.epochs[-1].train["loss"])


@pytest.mark.cuda
def test_the_cuda_target_takes_the_same_steps(tmp_path, teacher_model):
    """The distillation loss, its gradient and the label column on the CUDA target (in the
    simulator): three steps' losses, correct counts and weights are the CPU target's."""
    path = _student(tmp_path, f'teacher = model("{teacher_model}")  temperature = 2')
    runs = {}
    for target in ("cpu", "cuda"):
        program = recipec.compile(recipec.load(path, [f"train.target={target}"]),
                                  target=target)
        data = program.load_data()
        packed = program.distill_teacher().packed(data.train, data)
        x, _ = program._arrays(data.train)
        ex = program.executable
        assert ex.target == target
        losses, corrects = ex.train_chunk(x, packed, np.arange(len(x), dtype=np.int64), 0,
                                          3, 6, np.full(3, 0.01, np.float32))
        runs[target] = losses, corrects, {k: np.array(v) for k, v in ex.state().items()}
    np.testing.assert_allclose(runs["cuda"][0], runs["cpu"][0], rtol=1e-5, atol=1e-6)
    assert np.array_equal(runs["cuda"][1], runs["cpu"][1])
    for name, value in runs["cpu"][2].items():
        np.testing.assert_allclose(runs["cuda"][2][name], value, rtol=1e-4, atol=1e-6,
                                   err_msg=name)
