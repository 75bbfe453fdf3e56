"""Search spaces written in place of values (compiler/search/): what the checker records, the
malformed spaces it refuses at their text, every structural combination checked, and the
substitution that makes a trial's recipe a plain recipe."""
from __future__ import annotations

import pytest

import recipec
from recipec.compiler.search.space import substitute

pytestmark = pytest.mark.frontend        # checks only: compiles nothing

BASE = """recipe s
data { source = digits  normalize = standard  validation = 0.2 }
model { input [64] dense(choice(32, 64, 128), init = choice(he, xavier)) relu
        dropout(uniform(0.0, 0.5)) dense(10) }
loss = cross_entropy
optimizer = adam(lr = loguniform(1e-4, 1e-1))
train { epochs = 10  batch = int(16, 64, step = 16) }
metrics = [accuracy]
"""


def refused(text: str):
    with pytest.raises(recipec.RecipeError) as err:
        recipec.loads(text, "s.recipe")
    return err.value.diagnostics


def test_the_space_is_named_by_set_paths_and_the_recipe_holds_its_first_point():
    r = recipec.loads(BASE, "s.recipe")
    assert [(d.name, d.describe()) for d in r.space] == [
        ("model.dense_1.units", "choice(32, 64, 128)"),
        ("model.dense_1.init", "choice(he, xavier)"),
        ("model.dropout_1.rate", "uniform(0, 0.5)"),
        ("optimizer.lr", "loguniform(0.0001, 0.1)"),
        ("train.batch", "int(16, 64, step = 16)")]
    assert r.model.layers[0].options["units"] == 32 and r.train.batch == 16
    assert r.optimizer.options["lr"] == 1e-4
    s = r.search                   # no section: the defaults, and the auto metric resolved
    assert (s.method, s.trials, s.metric, s.direction) == ("tpe", 20, "val_loss", "minimize")
    assert [d.size() for d in r.space if d.finite] == [3, 2, 4]


def test_a_trial_is_the_text_with_values_in_place_and_checks_as_a_plain_recipe():
    r = recipec.loads(BASE, "s.recipe")
    dims = {d.name: d for d in r.space}
    values = {dims["model.dense_1.units"]: "128", dims["model.dense_1.init"]: "xavier",
              dims["model.dropout_1.rate"]: dims["model.dropout_1.rate"].text_of(0.25),
              dims["optimizer.lr"]: dims["optimizer.lr"].text_of(0.003),
              dims["train.batch"]: "48"}
    text = substitute(BASE, values)
    assert "dense(128, init = xavier)" in text and "adam(lr = 0.003)" in text
    trial = recipec.loads(text, "t.recipe")
    assert not trial.space and trial.train.batch == 48
    assert trial.model.layers[2].options["rate"] == 0.25
    padded = substitute(BASE, values, pad=True)
    assert [len(line) for line in padded.splitlines()] == [len(line) for line in
                                                           BASE.splitlines()]


def test_a_set_value_takes_a_dimension_out_of_the_space():
    r = recipec.loads(BASE, "s.recipe", overrides=["optimizer.lr=0.01"])
    assert "optimizer.lr" not in [d.name for d in r.space] and r.optimizer.options["lr"] == 0.01


@pytest.mark.parametrize("old, new, code, at, needle", [
    ("loguniform(1e-4, 1e-1)", "loguniform(0, 1e-1)", "E202", (6, 34), "must be > 0"),
    ("loguniform(1e-4, 1e-1)", "loguniform(1e-1, 1e-4)", "E202", (6, 23), "not below"),
    ("uniform(0.0, 0.5)", "uniform(0.0, 1.5)", "E202", (4, 30), "in [0, 1)"),
    ("choice(32, 64, 128)", "uniform(32, 128)", "E201", (3, 26), "int(...)"),
    ("choice(32, 64, 128)", "choice(32, 32)", "E105", (3, 37), "twice"),
    ("choice(32, 64, 128)", "choice(32)", "E202", (3, 26), "at least two"),
    ("choice(32, 64, 128)", "choice(32, 0)", "E202", (3, 37), "units"),
    ("choice(he, xavier)", "choice(he, xavierr)", "E104", (3, 65), "did you mean `xavier`"),
    ("step = 16", "step = 10", "E202", (7, 38), "never reaches 64"),
    ("init = choice(he, xavier)", "init = uniform(1, 2)", "E201", (3, 54), "choice"),
    ("choice(32, 64, 128)", "choice(32, choice(1, 2))", "E201", (3, 37), "inside a choice"),
    ("metrics = [accuracy]", "metrics = [accuracy]\nsearch { method = grid }", "E201",
     (4, 17), "grid needs finitely many"),
    ("metrics = [accuracy]", "metrics = [accuracy]\nsearch { trials = int(1, 5) }", "E201",
     (9, 19), "cannot be searched"),
    ("metrics = [accuracy]", "metrics = [accuracy]\nsearch { metric = val_acuracy }", "E104",
     (9, 19), "unknown monitor"),
])
def test_malformed_spaces_are_refused_at_their_text(old, new, code, at, needle):
    assert old in BASE
    diags = refused(BASE.replace(old, new))
    d = next((d for d in diags if d.code == code), None)
    assert d is not None, diags
    assert (d.span.line, d.span.col) == at and needle in f"{d.message} {d.hint}", d


def test_a_grid_runs_every_point_once_and_refuses_more_trials():
    grid = BASE.replace("uniform(0.0, 0.5)", "choice(0.0, 0.5)").replace(
        "loguniform(1e-4, 1e-1)", "choice(1e-3, 1e-2)") + "search { method = grid }"
    assert recipec.loads(grid, "g.recipe").search.trials == 3 * 2 * 2 * 2 * 4
    d = refused(grid.replace("method = grid", "method = grid  trials = 500"))[0]
    assert d.code == "E202" and "96 points" in d.message


def test_a_search_section_with_nothing_to_search_is_refused():
    d = refused(BASE.replace("choice(32, 64, 128)", "32").replace(
        ", init = choice(he, xavier)", "").replace("uniform(0.0, 0.5)", "0.2").replace(
        "loguniform(1e-4, 1e-1)", "1e-3").replace("int(16, 64, step = 16)", "32")
        + "search { trials = 5 }")[0]
    assert d.code == "E106" and "no search space" in d.message


CNN = """
data { source = digits  reshape = [1, 8, 8]  normalize = standard  validation = 0.2 }
model { input [1, 8, 8]
        conv2d(choice(4, 8), choice(3, 5))  relu  maxpool2d(2)
        conv2d(8, choice(3, 5)) relu
        flatten dense(10) }
loss = cross_entropy
optimizer = sgd(lr = loguniform(1e-3, 1e-1), momentum = 0.9)
train { epochs = 4  batch = 32 }
"""


def test_every_structural_combination_is_shape_checked_with_its_cause_named():
    diags = refused(CNN)
    said = sorted((d.span.line, d.span.col, d.code, d.message.split(" (when ")[1])
                  for d in diags)
    # the first point passes; 5 after 3 leaves 1x1 after the pool, 3 after 5 too
    assert said == [(5, 19, "E302", "model.conv2d_1.kernel = 5)"),
                    (5, 19, "E302", "model.conv2d_2.kernel = 5)")]
    ok = CNN.replace("conv2d(8, choice(3, 5))", "conv2d(8, choice(1, 2))")
    assert len(recipec.loads(ok, "c.recipe").space) == 4


def test_uniform_without_arguments_is_still_the_initialiser():
    text = BASE.replace("init = choice(he, xavier)", "init = uniform")
    r = recipec.loads(text, "s.recipe")
    assert r.model.layers[0].options["init"].kind == "uniform"
    assert "model.dense_1.init" not in [d.name for d in r.space]


def test_check_lists_the_space_and_run_asks_for_a_value_or_a_search(tmp_path):
    from hostile import cli
    (tmp_path / "s.recipe").write_text(BASE)
    out = cli("check", str(tmp_path / "s.recipe"), "--no-data")
    assert out.code == 0 and "search     tpe, 20 trials, minimize val_loss" in out.out
    assert "model.dense_1.units   choice(32, 64, 128)" in out.out
    out = cli("run", str(tmp_path / "s.recipe"))
    assert out.code == 2 and "has a search space (5 values to choose" in out.err
    assert "--set model.dense_1.units=32" in out.err and "Traceback" not in out.err
