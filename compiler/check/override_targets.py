"""Which option a `--set` path names, so its value can be read the way the option needs.

A string option (`data.source.path`, `data.source.label`, npz's `x`) takes a bare value on the
command line (`--set data.source.path=/data/mnist`): shells strip the quotes a recipe would
need, and a path is rarely a valid recipe token. Only the option's schema can say that a value
is a string, so this looks the option up in the recipe as it stands before the override; for
anything it cannot resolve (an unknown layer, a key the recipe does not set to a call) it
returns None, the value is parsed as recipe syntax and the checker reports the real problem.
"""
from __future__ import annotations

from .. import catalog
from ..layers import LAYERS
from ..naming import numbered
from ..options import Opt
from ..syntax import ast
from .model import layer_paths

_CALL_TABLES = {"optimizer": catalog.OPTIMIZERS, "schedule": catalog.SCHEDULES,
                "loss": catalog.LOSSES, "source": catalog.SOURCES, "test": catalog.SOURCES,
                "clip": catalog.CLIPS}
_SECTION_KEYS = {"data": catalog.DATA_KEYS, "train": catalog.TRAIN_KEYS,
                 "regularize": catalog.REGULARIZE_KEYS, "prune": catalog.PRUNE_KEYS,
                 "distill": catalog.DISTILL_KEYS, "quantize": catalog.QUANTIZE_KEYS}


def target_option(file: ast.File, parts: list[str]) -> Opt | None:
    """The `Opt` that the override path `parts` (already split on dots) sets, if known."""
    head = parts[0]
    if head == "model" and len(parts) == 3:
        return _layer_option(_section_body(file, "model"), parts[1], parts[2])
    if head == "data" and len(parts) == 4 and parts[1] == "augment":
        return _augment_option(_section_body(file, "data"), parts[2], parts[3])
    if head in _SECTION_KEYS:
        body = _section_body(file, head)
        if len(parts) == 2:
            return _named(_SECTION_KEYS[head], parts[1])
        return _call_option(body, parts[1], parts[2]) if len(parts) == 3 else None
    if head in _CALL_TABLES and len(parts) == 2:
        return _call_option(file.body, head, parts[1])
    return None


def _named(opts, name: str) -> Opt | None:
    return next((o for o in opts if o.name == name), None)


def _section_body(file: ast.File, name: str) -> tuple:
    return next((s.body for s in file.body if isinstance(s, ast.Stmt) and s.name == name
                 and s.body is not None), ())


def _call_option(body: tuple, key: str, option: str) -> Opt | None:
    """Option `option` of the call `key = f(...)` (or `key = f`) in `body`."""
    value = next((s.value for s in body if isinstance(s, ast.Assign) and s.key == key), None)
    name = value.name if isinstance(value, ast.Call) else \
        value.value if isinstance(value, ast.Name) else None
    choice = (_CALL_TABLES.get(key, {}).get(name) or (catalog.PRUNE_SCHEDULES.get(name)
              if key == "schedule" else None)) if name is not None else None
    return None if choice is None else _named(choice.opts, option)


def _layer_option(body: tuple, layer: str, option: str) -> Opt | None:
    path = layer_paths(body).get(layer)
    if path is None:
        return None
    stmt = None
    for i in path:
        stmt = body[i]
        body = stmt.body or ()
    return _named(LAYERS[stmt.name].opts, option)


def _augment_option(body: tuple, entry: str, option: str) -> Opt | None:
    value = next((s.value for s in body if isinstance(s, ast.Assign) and s.key == "augment"),
                 None)
    calls = [v for v in value.items if isinstance(v, ast.Call)] \
        if isinstance(value, ast.List) else []
    call = dict(zip(numbered(c.name for c in calls), calls)).get(entry)
    choice = catalog.AUGMENTS.get(call.name) if call is not None else None
    return None if choice is None else _named(choice.opts, option)
