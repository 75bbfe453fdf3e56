"""recipec: a declarative language for deep-learning training recipes, compiled to Numba.

    import recipec
    recipe = recipec.load("recipes/digits_mlp.recipe", overrides=["train.epochs=5"])
    program = recipec.compile(recipe)       # checked, differentiated, fused, compiled
    history = program.fit()
    program.evaluate("validation")          # {"loss": ..., "accuracy": ...}
    program.predict(x)                      # class probabilities for raw inputs x

README.md's "From Python" runs this with x from scikit-learn's digits (tests/test_readme.py).
"""
from __future__ import annotations

from pathlib import Path

from .compiler.diagnostics import Diagnostic, RecipeError
from .compiler.recipe import Recipe
from .runtime.errors import DataError

__all__ = ["load", "loads", "compile", "Recipe", "RecipeError", "DataError", "Diagnostic"]
__version__ = "0.1.0"


def load(path: str | Path, overrides=()) -> Recipe:
    """Parse and check a recipe file; raises RecipeError with every problem found."""
    from .compiler.check import check_file

    return check_file(str(path), overrides)


def loads(text: str, filename: str = "<string>", overrides=()) -> Recipe:
    from .compiler.check import check_source

    return check_source(text, filename, overrides)


def compile(recipe: Recipe, target: str = "cpu", base_dir: str | Path | None = None):
    """Compile a checked recipe into a `Program` with fit(), evaluate() and predict()."""
    from .compiler.pipeline import compile_recipe
    from .runtime.program import Program

    if base_dir is None:
        base_dir = Path(recipe.path).parent if recipe.path else Path(".")
    return Program(recipe, compile_recipe(recipe, target), base_dir)
