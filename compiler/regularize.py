"""Weight penalties, gradient clipping and max-norm constraints in the training step.

  penalty    `dense(64, l1 = 1e-5, l2 = 1e-4)`, or `regularize { l1, l2 }` for every weight
             whose layer sets neither (Keras' kernel_regularizer = L1L2: a layer's own values
             replace the global ones as a whole, so `l2 = 0` exempts a layer). Biases are never
             regularised. l1 * sum|w| + l2 * sum w^2 is added to the objective autodiff
             differentiates, not to the reported loss: the gradient gains l1 sign(w) + 2 l2 w.
             The step returns the data loss only; the runtime computes the penalty from the
             weights at each epoch's end in numpy (`penalty`): one value per epoch costs one
             pass over the weights there, where a second per-step output would change every
             kernel's ABI for a number nobody reads per step.
  clip       `clip = norm(1.0)`: every gradient scaled by one factor from the norm over all of
             them (torch.nn.utils.clip_grad_norm_), so the reduction runs before any update;
             `clip = value(0.5)`: each element clamped (clip_grad_value_).
  max_norm   `dense(64, max_norm = 3)`: after the weight's update, each output unit's
             incoming weights rescaled to norm <= 3 (Keras' MaxNorm, per output unit).
Whether a weight is regularised, clipped or constrained is structure (a weight with l1 = l2 =
0 gets no op); the coefficients are run-time inputs: `model.dense_1.l2` for a layer's own,
`regularize.l2` for the global one, `clip.max_norm`, `model.dense_1.max_norm`.
A recipe that uses none of them builds exactly the graph it built before.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .build import BuildContext
from .ir import Graph, Value
from .recipe import LayerSpec, Recipe


@dataclass(frozen=True)
class PenaltyInfo:
    """One regularised weight: its name and the run-time inputs holding its l1 and l2."""
    param: str                # "dense_1.weight"
    l1: str                   # "model.dense_1.l1" or "regularize.l1"
    l2: str


def _layers(layers: Iterable[LayerSpec]):
    for spec in layers:
        yield spec
        yield from _layers(spec.body)


def _weights(recipe: Recipe, g: Graph, ctx: BuildContext):
    """(weight value, its layer's spec) for every layer taking l1/l2/max_norm; a frozen
    layer's weight is neither penalised nor constrained (it does not change)."""
    specs = {s.name: s for s in _layers(recipe.model.layers)
             if "l1" in s.options and not s.options.get("freeze")}
    for v, info in zip(g.by_role("param"), ctx.params):
        if info.layer in specs and not info.option_prefix and v.name.endswith(".weight"):
            yield v, specs[info.layer]


def attach_penalties(g: Graph, ctx: BuildContext, recipe: Recipe,
                     loss: Value) -> tuple[Value, list[PenaltyInfo]]:
    """The objective autodiff differentiates (`loss` itself when nothing is regularised)."""
    total, infos = loss, []
    default = recipe.regularize or {"l1": 0.0, "l2": 0.0}
    for w, spec in _weights(recipe, g, ctx):
        own = spec.options["l1"] is not None or spec.options["l2"] is not None
        values = {k: (spec.options[k] or 0.0) if own else default[k] for k in ("l1", "l2")}
        if not any(values.values()):
            continue
        names = {k: f"model.{spec.name}.{k}" if own else f"regularize.{k}" for k in values}
        hypers = [ctx.hyper(names[k], values[k]) for k in ("l1", "l2")]
        total = g.add("add", total, g.add("l1l2_penalty", w, *hypers))
        infos.append(PenaltyInfo(w.name, names["l1"], names["l2"]))
    return total, infos


def clip_gradients(g: Graph, ctx: BuildContext, recipe: Recipe, params: list[Value],
                   grads: dict[int, Value]) -> dict[int, Value]:
    """The gradients the optimizer sees: `grads` clipped as `clip = ...` says."""
    clip = recipe.clip
    if clip is None:
        return grads
    if clip.kind == "norm":
        coef = g.add("clip_norm_coef", *(grads[p.id] for p in params),
                     ctx.hyper("clip.max_norm", clip["max_norm"]))
        return {p.id: g.add("clip_scale", grads[p.id], coef) for p in params}
    limit = ctx.hyper("clip.clip_value", clip["clip_value"])
    return {p.id: g.add("clip_value", grads[p.id], limit) for p in params}


def attach_max_norms(g: Graph, ctx: BuildContext, recipe: Recipe) -> None:
    """After every update: the weights of layers with `max_norm = c` rescaled per unit."""
    axes = {info.name: info.out_axis for info in ctx.params}
    for w, spec in _weights(recipe, g, ctx):
        if spec.options["max_norm"] is not None:
            g.add_multi("max_norm", w, ctx.option(spec, "max_norm"), out_axis=axes[w.name])
