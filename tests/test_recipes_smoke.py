"""Every recipe in recipes/ checks, compiles and takes a few real training steps.

The full trainings (and their published accuracies) run in the acceptance benchmark
(`python -m pytest -m slow`); this keeps the recipes from rotting on every CI run. Recipes whose
data files are not on this machine are skipped, naming the missing file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import recipec
from recipec.runtime.errors import DataError

RECIPES = sorted((Path(__file__).resolve().parents[1] / "recipes").glob("*.recipe"))


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_recipe_trains_a_few_steps(path):
    program = recipec.compile(recipec.load(path))
    try:
        program.load_data()
    except DataError as err:
        if err.code == "D001":
            pytest.skip(str(err))
        raise
    if program.recipe.distill is not None:      # a teacher of three steps, not a full training
        from recipec.runtime.distill import Teacher
        spec = program.recipe.distill
        teacher = recipec.compile(recipec.load(spec.resolved(program.recipe.path)))
        teacher.fit(steps=3)
        program.teacher = Teacher(teacher, spec, "three steps of the teacher recipe")
    history = program.fit(steps=3)
    assert program.state.step == 3 and history.steps == 3
    assert all(np.isfinite(p).all() for p in program.state.params)
    split = "test" if program.data.test is not None else "train"
    metrics = program.evaluate(split)
    assert np.isfinite(metrics["loss"])
