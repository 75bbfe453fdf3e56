"""`recipec ensemble`: the members' probabilities averaged (weighted), the ensemble's metrics
equal to those computed by hand from the members' predictions; members that cannot be
averaged (another task, other rows) and bad weights refused with a message."""
from __future__ import annotations

import re

import numpy as np
import pytest

import recipec
from recipec.runtime.model import save_model
from tests.hostile import ROOT, accepted, cli, write

TEXT = """recipe digits_member
data {{ source = digits  normalize = standard  validation = 0.3 }}
model {{ input [64] dense({units}) relu dense(10) }}
loss = cross_entropy
optimizer = adam(lr = 0.01)
train {{ epochs = 3  batch = 64  seed = {seed} }}
metrics = [accuracy]
"""


def _member(folder, units: int, seed: int):
    path = write(folder, f"m{seed}.recipe", TEXT.format(units=units, seed=0))
    program = recipec.compile(recipec.load(path, [f"model.dense_1.units={units}"]))
    # the members differ in their initial weights, not their split: seed the init alone
    from recipec.runtime.state import TrainState
    program.state = TrainState.fresh(program.graphs, seed)
    program.fit()
    return save_model(program, folder / f"model{seed}")


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ensemble")
    return [_member(folder, units, seed) for units, seed in ((16, 1), (32, 2), (24, 3))]


def _numbers(line: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"(\w+) (-?[\d.]+)", line)}


def test_the_ensemble_averages_the_members_probabilities(members):
    out = cli("ensemble", *members, "--weights", "1,2,1", "--split", "validation")
    accepted(out)
    last = out.out.strip().splitlines()[-1]
    assert last.startswith("ensemble of 3 (validation")
    got = _numbers(last.split(":", 1)[1])
    models = [recipec.load_model(m) for m in members]
    rows = models[0].rows("validation")
    probs = [m.program.graphs.task.predict(m.program._split_outputs(m.rows("validation")))
             for m in models]
    mean = (probs[0] + 2 * probs[1] + probs[2]) / 4.0
    assert got["accuracy"] == pytest.approx((mean.argmax(1) == rows.y).mean(), abs=1e-4)
    nll = -np.log(np.clip(mean[np.arange(len(rows.y)), rows.y], 1e-12, 1)).mean()
    assert got["loss"] == pytest.approx(nll, abs=2e-4)
    for line, model in zip(out.out.strip().splitlines()[:3], models):
        assert _numbers(line.split("weight", 1)[1])["accuracy"] == pytest.approx(
            model.evaluate("validation")["accuracy"], abs=1e-4)


def test_members_that_cannot_be_averaged_are_refused(members, tmp_path):
    iris = write(tmp_path, "iris.recipe", (ROOT / "recipes" / "iris_mlp.recipe").read_text())
    program = recipec.compile(recipec.load(iris, ["train.epochs=1"]))
    program.fit()
    other = save_model(program, tmp_path / "iris_model")
    out = cli("ensemble", members[0], other)
    assert out.code == 2 and "an ensemble needs the same" in out.err
    out = cli("ensemble", *members, "--weights", "1,2")
    assert out.code == 2 and "one per model" in out.err
    out = cli("ensemble", *members, "--weights", "1,-1,1")
    assert out.code == 2 and "non-negative" in out.err
    out = cli("ensemble", *members, "--split", "test")          # their data has none
    assert out.code == 2 and "Traceback" not in out.err and "test" in out.err
    accepted(cli("ensemble", *members))                          # default: validation


def test_runs_of_one_recipe_with_other_seeds_and_one_split_seed_form_an_ensemble(tmp_path):
    """`data { split_seed }` keeps the validation rows while train.seed changes the initial
    weights: the runs `recipec run` leaves are then an ensemble's members, by run id."""
    recipe = write(tmp_path, "d.recipe", TEXT.format(units=16, seed=0))
    runs = tmp_path / "runs"
    for seed in (1, 2):
        accepted(cli("run", recipe, "--runs", runs, "--quiet", "--set", f"train.seed={seed}",
                     "--set", "data.split_seed=0"))
    out = cli("ensemble", "last", "last-1", "--runs", runs)
    accepted(out)
    assert out.out.strip().splitlines()[-1].startswith("ensemble of 2 (validation")
    # without it the two runs split their data differently: refused, saying so
    for seed in (3, 4):
        accepted(cli("run", recipe, "--runs", runs, "--quiet", "--set", f"train.seed={seed}"))
    out = cli("ensemble", "last", "last-1", "--runs", runs)
    assert out.code == 2 and "not the rows" in out.err
