"""recipec: a declarative language for deep-learning training recipes, compiled to Numba.

    import recipec
    recipe = recipec.load("recipes/digits_mlp.recipe", overrides=["train.epochs=5"])
    data = recipec.check_data(recipe)       # read and checked against the model (optional)
    program = recipec.compile(recipe, data=data)   # checked, differentiated, fused
    history = program.fit()                 # reads the data (if not given), then compiles
    program.evaluate("validation")          # {"loss": ..., "accuracy": ...}
    program.predict(x)                      # class probabilities for raw inputs x
    model = recipec.load_model("runs/digits_mlp/model")   # what `recipec run` left
    model.predict(x); model.evaluate("test")

README.md's "From Python" runs this with x from scikit-learn's digits (tests/test_readme.py).
"""
from __future__ import annotations

from pathlib import Path

from .compiler.diagnostics import Diagnostic, RecipeError
from .compiler.recipe import Recipe
from .runtime.errors import DataError, ModelError, TrainingDiverged

__all__ = ["load", "loads", "check_data", "compile", "load_model", "Recipe", "RecipeError", "DataError", "ModelError",
           "TrainingDiverged", "Diagnostic"]
__version__ = "0.1.0"


def load(path: str | Path, overrides=()) -> Recipe:
    """Parse and check a recipe file; raises RecipeError with every problem found."""
    from .compiler.check import check_file

    return check_file(str(path), overrides)


def loads(text: str, filename: str = "<string>", overrides=()) -> Recipe:
    from .compiler.check import check_source

    return check_source(text, filename, overrides)


def check_data(recipe: Recipe, base_dir: str | Path | None = None, *, cache: bool = True,
               fold: int | None = None):
    """Read the recipe's data and check it against the model, compiling nothing: returns the
    split, normalized `Data`, or raises a DataError located in the recipe's text (its `span`,
    rendered by the CLI as `file:line:col: error[D00x]`). `cache=False`: parse the files
    again rather than use the parsed-data cache (runtime/data/cache.py). With
    `validation = kfold(k)`, `fold` (0 .. k-1, default 0) is the fold held out."""
    from .runtime.data.check import check_data as check

    return check(recipe, base_dir, cache=cache, fold=fold)


def compile(recipe: Recipe, target: str | None = None, base_dir: str | Path | None = None,
            data=None):
    """A checked recipe as a `Program` with fit(), evaluate() and predict().

    The graphs are built and optimised here; the target's kernels are generated when first
    needed. `fit()` reads and checks the data (or uses `data`, from `check_data`) before
    that, so data that cannot work fails before any compile."""
    from .compiler.pipeline import compile_recipe
    from .runtime.program import Program

    if base_dir is None:
        base_dir = Path(recipe.path).parent if recipe.path else Path(".")
    if target is None:                     # the recipe's `train { target = ... }`
        target = recipe.train.target
    return Program(recipe, compile_recipe(recipe, target, lower=False), base_dir, data=data)


def load_model(path: str | Path):
    """A trained model's folder (`recipec run` leaves one in runs/<recipe>/model) as a
    `LoadedModel`: `predict(x)` on raw inputs as `Program.predict`, `evaluate(split, or a
    data file's path, or (x, y))`, `class_names`, `recipe`. Inputs are prepared with the
    stored statistics, never fitted again. A missing, damaged or half-written folder is a
    `ModelError` (M001, M002) naming it."""
    from .runtime.model import load_model as load

    return load(path)
