"""`validation = kfold(k)`: stratified folds that hold every row out once, one training per
fold through `recipec run`, the folds' mean and std, and `--fold i` for one of them."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hostile import cli, write

import recipec
from recipec.runtime.data.preprocess import kfold_indices


@pytest.mark.parametrize("stratify", [True, False])
def test_every_row_is_held_out_exactly_once(stratify):
    y = np.repeat([0, 1, 2], [23, 11, 7])
    held = np.concatenate([kfold_indices(y, 5, f, 3, stratify=stratify)[1] for f in range(5)])
    assert sorted(held.tolist()) == list(range(len(y)))
    sizes = [len(kfold_indices(y, 5, f, 3, stratify=stratify)[1]) for f in range(5)]
    assert max(sizes) - min(sizes) <= 1
    for f in range(5):
        train, val = kfold_indices(y, 5, f, 3, stratify=stratify)
        assert not set(train) & set(val) and len(train) + len(val) == len(y)


def test_stratified_folds_hold_each_class_share():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    for f in range(5):
        counts = np.bincount(y[kfold_indices(y, 5, f, 0, stratify=True)[1]], minlength=3)
        assert counts.tolist() == [10, 6, 4]


def test_folds_follow_the_seed():
    y = np.arange(40) % 2
    a = kfold_indices(y, 4, 1, 0, stratify=True)[1]
    assert np.array_equal(a, kfold_indices(y, 4, 1, 0, stratify=True)[1])
    assert not np.array_equal(a, kfold_indices(y, 4, 1, 1, stratify=True)[1])


RECIPE = """
data {{ source = iris  normalize = standard  validation = {validation} }}
model {{ input [4] dense(8) relu dense(3) }}
loss = cross_entropy
optimizer = adam(lr = 0.05)
train {{ epochs = 5  batch = 16 }}
"""


def test_kfold_is_checked():
    assert recipec.loads(RECIPE.format(validation="kfold(4)"), "k").data.folds == 4
    assert recipec.loads(RECIPE.format(validation="kfold"), "k").data.folds == 5
    assert recipec.loads(RECIPE.format(validation="0.2"), "k").data.folds is None
    for bad, code in (("kfold(1)", "E202"), ("kfolds(3)", "E104"), ("1.5", "E202")):
        with pytest.raises(recipec.RecipeError) as err:
            recipec.loads(RECIPE.format(validation=bad), "k")
        assert err.value.diagnostics[0].code == code, bad


def test_the_data_of_a_fold():
    recipe = recipec.loads(RECIPE.format(validation="kfold(3)"), "k")
    parts = [recipec.check_data(recipe, fold=f) for f in range(3)]
    assert [len(p.validation) for p in parts] == [50, 50, 50]
    assert all(len(p.train) == 100 for p in parts)


@pytest.mark.cpu
def test_run_trains_every_fold_and_reports_mean_and_std(tmp_path):
    write(tmp_path, "k.recipe", RECIPE.format(validation="kfold(3)"))
    out = cli("run", str(tmp_path / "k.recipe"), "--quiet", "--report", str(tmp_path / "r.json"))
    assert out.code == 0, out.err
    report = json.loads((tmp_path / "r.json").read_text())
    cv = report["cross_validation"]["validation"]["accuracy"]
    folds = [r["final"]["validation"]["accuracy"] for r in report["runs"]]
    assert cv["folds"] == folds and len(folds) == 3
    assert cv["mean"] == pytest.approx(np.mean(folds)) and cv["std"] == pytest.approx(np.std(folds))
    assert "3-fold validation: loss" in out.out and "±" in out.out
    one = cli("run", str(tmp_path / "k.recipe"), "--quiet", "--fold", "2", "--report",
              str(tmp_path / "f.json"))
    assert one.code == 0, one.err
    alone = json.loads((tmp_path / "f.json").read_text())
    assert alone["fold"] == 2 and alone["final"] == report["runs"][1]["final"]


def test_a_fold_out_of_range_is_refused(tmp_path):
    write(tmp_path, "k.recipe", RECIPE.format(validation="kfold(3)"))
    out = cli("run", str(tmp_path / "k.recipe"), "--fold", "4")
    assert out.code == 2 and "folds are 1 to 3" in out.err and not out.trained
    write(tmp_path, "v.recipe", RECIPE.format(validation="0.2"))
    out = cli("run", str(tmp_path / "v.recipe"), "--fold", "1")
    assert out.code == 2 and "no `validation = kfold(k)`" in out.err
