"""Losses a recipe's `loss = ...` may name.

A loss is added in one file of this package: its `LossDef` gives the option schema, the task
it implies (which fixes the labels' type, the training accuracy and `predict()`), a static
check of the model's output shape, whether it takes logits (the activation it applies
itself), `build`, which appends the loss to the training graph, and `value`, the same loss in
numpy over a whole split (what `evaluate` reports). Every module of this package is imported
below, so a new file registers itself.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..options import Opt
from ..tasks import Task

if TYPE_CHECKING:
    from ..ir import Graph, Value


@dataclass(frozen=True)
class LossDef:
    name: str
    task: Task
    # build(graph, outputs [B, *out], y, options, hyper) -> the scalar loss Value;
    # hyper(option name, value) is the option as a run-time input (`loss.<option>`)
    build: Callable[["Graph", "Value", "Value", dict[str, Any], Callable], "Value"]
    # value(outputs [N, *out], y [N, ...], options) -> the mean loss in float64 numpy
    value: Callable[[np.ndarray, np.ndarray, dict[str, Any]], float]
    # check_output(model output shape, options) -> None, or (message, hint) for an E303
    check_output: Callable[[tuple[int, ...], dict[str, Any]], tuple[str, str] | None] = \
        lambda out, options: None
    opts: tuple[Opt, ...] = ()
    # The loss takes logits: it applies this activation ("softmax") to the model's output
    # itself, so a model that ends in that layer would apply it twice (the checker's E306).
    logits_of: str | None = None
    doc: str = ""


LOSSES: dict[str, LossDef] = {}


def register(loss: LossDef) -> LossDef:
    assert loss.name not in LOSSES, f"loss {loss.name} registered twice"
    LOSSES[loss.name] = loss
    return loss


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
