"""A checked recipe as a flat view `key -> value`, keyed as `--set` names the values
(`optimizer.lr`, `train.batch`, `model.dense_1.units`, `data.augment.rotate_1.degrees`), and
the keys whose values differ between recipes: what `recipec runs compare` shows.

The view is of the checked recipe, defaults filled, so `adam()` and `adam(lr = 0.001)` agree
and a `--set` shows as the value it set; comments, spacing and the order of keys never make
a difference. Derived numbers (shapes, parameter counts) are left out: a differing `units`
already says why they differ.
"""
from __future__ import annotations

from ...compiler.naming import numbered
from ...compiler.options import Duration
from ...compiler.recipe import Call

DATA_KEYS = ("normalize", "validation", "shuffle", "scale", "reshape", "layout", "memory",
             "folds")
TRAIN_KEYS = ("epochs", "steps", "batch", "seed", "checkpoint", "keep")
EARLY_STOP_KEYS = ("monitor", "mode", "patience", "min_delta", "restore_best")


def flat(recipe) -> dict[str, str]:
    out: dict[str, str] = {}
    data = recipe.data
    _call(out, "data.source", data.source)
    for key in ("test", "impute", "outliers"):
        if getattr(data, key) is not None:
            _call(out, f"data.{key}", getattr(data, key))
    for key in DATA_KEYS:
        out[f"data.{key}"] = text(getattr(data, key))
    out["data.augment"] = text(list(data.augment))
    for name, call in zip(numbered(c.kind for c in data.augment), data.augment):
        _options(out, f"data.augment.{name}", call.options)
    out["model.input"] = text(list(recipe.model.input_shape))
    _layers(out, recipe.model.layers)
    for key in ("loss", "optimizer", "schedule", "clip"):
        if getattr(recipe, key) is not None:
            _call(out, key, getattr(recipe, key))
    for key in TRAIN_KEYS:
        out[f"train.{key}"] = text(getattr(recipe.train, key))
    out["metrics"] = text(list(recipe.metrics))
    if recipe.early_stop is not None:
        for key in EARLY_STOP_KEYS:
            out[f"early_stop.{key}"] = text(getattr(recipe.early_stop, key))
    for key, value in (recipe.regularize or {}).items():
        out[f"regularize.{key}"] = text(value)
    return out


def differences(views: list[dict[str, str]]) -> list[tuple[str, list[str]]]:
    """(key, each view's value, "-" where a view lacks the key) for every key whose values
    are not all equal, in the order the keys first appear."""
    keys = list(dict.fromkeys(k for view in views for k in view))
    rows = []
    for key in keys:
        values = [view.get(key, "-") for view in views]
        if len(set(values)) > 1:
            rows.append((key, values))
    return rows


def _layers(out: dict, layers) -> None:
    for layer in layers:
        out[f"model.{layer.name}"] = layer.kind
        _options(out, f"model.{layer.name}", layer.options)
        _layers(out, layer.body)          # residual { ... }: names are unique in the model


def _call(out: dict, key: str, call: Call) -> None:
    out[key] = call.kind
    _options(out, key, call.options)


def _options(out: dict, prefix: str, options: dict) -> None:
    for name, value in options.items():
        if isinstance(value, Call):
            _call(out, f"{prefix}.{name}", value)
        else:
            out[f"{prefix}.{name}"] = text(value)


def text(value) -> str:
    """A value as a recipe writes it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, Call):
        args = ", ".join(f"{k} = {text(v)}" for k, v in value.options.items())
        return f"{value.kind}({args})" if args else value.kind
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(text(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    return str(value)
