"""The data of a checked recipe, read and checked against its model before anything compiles.

    data = check_data(recipe)            # or raises DataError, located in the recipe's text

`recipec check` and `recipec run` call this first (run compiles only after it passed), and so
does `Program.load_data`. Every problem is a `DataError` pointed at the recipe text that
causes it: the `source = ...` or `test = ...` call whose file is missing or malformed, the
`reshape`/`layout`/`validation` value, the model's `input [...]` for samples of another shape,
or the model's last layer for labels beyond its outputs.
"""
from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Iterator

from ...compiler import catalog
from ...compiler.diagnostics import Span
from ...compiler.recipe import ModelSpec, Recipe
from ...compiler.schedules import too_long
from ...compiler.tasks import Task
from ..errors import D003, D004, D005, DataError
from . import load_data
from .dataset import Data


def check_data(recipe: Recipe, base_dir: str | Path | None = None, *,
               cache: bool = True, fold: int | None = None) -> Data:
    """Read, convert, split and normalize the recipe's data, then check that it fits the
    model (kernels do not bounds-check: a label past the last logit would read foreign
    memory). Relative paths resolve against `base_dir`, by default the recipe's folder.
    `cache=False`: read the files themselves, not the parsed-data cache (cache.py)."""
    if base_dir is None:
        base_dir = Path(recipe.path).parent if recipe.path else Path(".")
    task = catalog.LOSSES[recipe.loss.kind].task
    with located(recipe):
        data = load_data(recipe.data, task, recipe.split_seed, base_dir, cache=cache,
                         fold=fold)
        check_fits(data, recipe.model, task)
        check_schedule(data, recipe)
    return data


def check_schedule(data: Data, recipe: Recipe) -> None:
    """With the steps per epoch known: a warmup in steps as long as a run in epochs (or the
    reverse) never reaches its schedule (the checker compared durations of the same unit)."""
    n = len(data.train)
    spe = -(-n // max(1, min(recipe.train.batch, n)))
    found = too_long(recipe.schedule, spe, recipe.train)
    if found is not None:
        option, d = found
        train = recipe.train
        run = (f"{train.epochs} epochs = {train.total_steps(spe)} steps"
               if train.epochs is not None else f"{train.steps} steps = "
               f"{train.steps / spe:g} epochs")
        raise DataError(f"{recipe.schedule.kind}: a {option} of {d} is not shorter than the run "
                        f"({run}; {n} training rows make {spe} steps per epoch)", D005,
                        key="schedule", hint="shorten it, or train longer")


def check_loaded(recipe: Recipe, data: Data) -> Data:
    """`data` read already (by `check_data`, or built by hand): check it fits the model."""
    with located(recipe):
        check_fits(data, recipe.model, catalog.LOSSES[recipe.loss.kind].task)
    return data


@contextlib.contextmanager
def located(recipe: Recipe) -> Iterator[None]:
    """DataErrors raised inside it, pointed at the recipe text their key names."""
    try:
        yield
    except DataError as err:
        raise err.locate(recipe_spans(recipe).get(err.key, recipe.data.span),
                         recipe.source) from None


def check_fits(data: Data, model: ModelSpec, task: Task) -> None:
    """The (converted) samples must be the model's input and the labels its outputs."""
    fs, inp = tuple(data.feature_shape), tuple(model.input_shape)
    # the one implicit conversion: a rank-1 input reads each sample flattened, row-major
    flattened = len(inp) == 1 and math.prod(fs) == inp[0]
    if fs != inp and not flattened:
        converted = (f" (stored as {_shape(data.source_shape)})"
                     if tuple(data.source_shape) != fs else "")
        if data.categories:                  # categorical.py: one column per category
            made = sum(len(c.values) for c in data.categories)
            converted += (f" (the one-hot encoding of the text column"
                          f"{'s' if len(data.categories) > 1 else ''} "
                          f"{', '.join(repr(c.name) for c in data.categories)} made {made} "
                          f"of those columns)")
        raise DataError(f"the samples of {data.source} have shape {_shape(fs)}{converted} but "
                        f"the model's input is {_shape(inp)}", D003, key="input",
                        hint=_shape_hint(fs, inp, data.conversion is not None))
    if task.class_labels:
        outputs = task.classes_of(model.output_shape)
        if data.num_classes is not None and data.num_classes > outputs:
            raise DataError(f"{data.source}: labels go up to {data.num_classes - 1} "
                            f"({data.num_classes} classes) but the model outputs {outputs} "
                            f"logits", D004, key="output",
                            hint=f"make the last layer dense({data.num_classes})")
    else:
        got = tuple(data.train.y.shape[1:])
        if math.prod(got) != math.prod(model.output_shape):
            raise DataError(f"{data.source}: targets have shape {_shape(got)} but the model "
                            f"outputs {_shape(model.output_shape)}", D003, key="output")


def recipe_spans(recipe: Recipe) -> dict[str, Span]:
    """Where each `DataError.key` points in the recipe."""
    d, model = recipe.data, recipe.model
    spans = {key: d.span_of(key) for key in ("reshape", "layout", "validation")}
    spans["source"] = d.source.span
    if d.test is not None:
        spans["test"] = d.test.span
    spans["input"] = model.input_span or model.span
    spans["schedule"] = recipe.schedule.span
    for key in ("impute", "outliers"):
        if getattr(d, key, None) is not None:
            spans[key] = getattr(d, key).span
    spans["output"] = _output_layer(model).span if model.layers else model.span
    return spans


def _output_layer(model: ModelSpec):
    """The layer that sets the number of outputs: the last one with parameters (activations
    after it keep the shape), else the last layer."""
    for layer in reversed(model.layers):
        if layer.params:
            return layer
    return model.layers[-1]


def _shape_hint(fs: tuple[int, ...], inp: tuple[int, ...], converted: bool) -> str:
    if math.prod(fs) == math.prod(inp):
        if len(fs) == 3 and (fs[2], fs[0], fs[1]) == inp and not converted:
            return ("the samples look channels-last [H, W, C]: add `layout = hwc` to the data "
                    "block to convert them to [C, H, W]")
        return (f"add `reshape = {_shape(inp)}` to the data block to read each sample's "
                f"{math.prod(fs)} values in order as {_shape(inp)}, or write "
                f"`input {_shape(fs)}`")
    return f"write `input {_shape(fs)}`, or use data whose samples have shape {_shape(inp)}"


def _shape(shape) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"
