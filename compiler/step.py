"""Checked recipe -> the two graphs a program runs: the training step and the prediction.

The training step takes a batch, computes the loss, its gradients (autodiff pass) and applies
the optimizer's in-place updates; everything it touches is an explicit graph input, so the
runtime owns (and can checkpoint) all state: parameters, optimizer slots, step, seed.
Numeric hyperparameters are graph inputs too (role "hyper", listed in StepGraphs.hypers with
their values): the kernels read them from their `hypers` argument, so changing one compiles
nothing. Only structure is compiled: shapes, which optimizer, which slots exist, which ops run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .build import BuildContext, HyperInfo, ParamInfo, StatInfo, build_forward
from .ir import BATCH, Graph, TensorType, Value
from .losses import LOSSES, LossDef
from .ops.regularize import penalty_value
from .optimizers import OPTIMIZERS, Update
from .passes.autodiff import grad
from .prune import mask_gradients
from .recipe import Recipe
from .regularize import PenaltyInfo, attach_max_norms, attach_penalties, clip_gradients
from .tasks import Task


@dataclass(frozen=True)
class SlotInfo:
    name: str                 # "dense_1.weight:velocity"
    shape: tuple[int, ...]
    initial: float = 0.0      # its value before the first step (TrainState.fresh)


@dataclass
class StepGraphs:
    train: Graph
    predict: Graph
    params: list[ParamInfo]
    slots: list[SlotInfo]
    stats: list[StatInfo]
    loss_def: LossDef
    loss_options: dict[str, Any]
    hypers: list[HyperInfo] = field(default_factory=list)   # in the kernels' `hypers` order
    penalties: list[PenaltyInfo] = field(default_factory=list)   # regularised weights

    @property
    def task(self) -> Task:
        """What the loss implies: label type, training accuracy, predict() post-processing."""
        return self.loss_def.task

    def penalty(self, weights: dict[str, np.ndarray], hypers) -> float | None:
        """The weight penalty (l1 * sum|w| + l2 * sum w^2 over the regularised weights) for
        these weights and run-time inputs (the kernels' `hypers` array, in `self.hypers`'
        order); None when nothing is regularised."""
        if not self.penalties:
            return None
        values = dict(zip((h.name for h in self.hypers), hypers))
        return sum(penalty_value(weights[p.param], values[p.l1], values[p.l2])
                   for p in self.penalties)

    def loss_value(self, outputs: np.ndarray, y: np.ndarray) -> float:
        """The recipe's loss over a whole split in numpy (what `evaluate` reports)."""
        return self.loss_def.value(outputs, y, self.loss_options)


def label_type(recipe: Recipe) -> TensorType:
    """The training step's labels input: the task's, or with `distill` the packed targets
    [B, C + 1] (the teacher's soft probabilities, then the label: ops/distill.py)."""
    if recipe.distill is not None:
        return TensorType((BATCH, int(recipe.model.output_shape[0]) + 1), "float32")
    return LOSSES[recipe.loss.kind].task.label_type(recipe.model.output_shape)


def _distill_loss(g: Graph, ctx: BuildContext, recipe: Recipe, logits: Value, y: Value):
    """(loss, correct count) of a distilled step: the soft and hard terms in one op, the
    correct count on the label column."""
    spec = recipe.distill
    loss = g.add("distill_ce", logits, y, ctx.hyper("distill.temperature", spec.temperature),
                 ctx.hyper("distill.alpha", spec.alpha))
    return loss, g.add("count_correct", logits, g.add("packed_labels", y))


def _attach_optimizer(g: Graph, ctx: BuildContext, recipe: Recipe, grads) -> list[SlotInfo]:
    """One update per trained parameter, built by the optimizer's row (compiler/optimizers/);
    a frozen one gets neither slots nor an update."""
    opt = recipe.optimizer
    definition = OPTIMIZERS[opt.kind]          # the checker accepted only registered names
    specs = definition.slot_specs(opt.options)
    slots: list[SlotInfo] = []
    for p, pinfo in zip(g.by_role("param"), ctx.params):
        if pinfo.frozen:
            continue
        state = []
        for spec in specs:
            type_ = TensorType((1,), p.type.dtype) if spec.scalar else p.type
            info = SlotInfo(f"{p.name}:{spec.name}", tuple(type_.shape), spec.initial)
            slots.append(info)
            state.append(g.input(info.name, type_, "slot"))
        definition.update(Update(ctx, definition, opt.options, p, grads[p.id], tuple(state),
                                 pinfo))
    return slots


def _all_hypers(*contexts: BuildContext) -> list[HyperInfo]:
    """Every graph's run-time inputs in one list (the kernels' `hypers` order): the training
    graph's, then any only the prediction graph reads."""
    seen: dict[str, HyperInfo] = {}
    for ctx in contexts:
        for h in ctx.hypers:
            if seen.setdefault(h.name, h) != h:
                raise AssertionError(f"{h.name} was built with two values")
    return list(seen.values())


def build_step_graphs(recipe: Recipe, on_stage=None) -> StepGraphs:
    """`on_stage(name, graph)` sees the training graph after "build" (forward and loss) and
    after "autodiff" (gradients and the optimizer's updates)."""
    ytype = label_type(recipe)
    fwd = build_forward(recipe.model, training=True, label_type=ytype,
                        augment=recipe.data.augment)
    g = fwd.graph
    y = g.input_named("y")
    loss_def = LOSSES[recipe.loss.kind]
    if recipe.distill is not None:
        loss, correct = _distill_loss(g, fwd.ctx, recipe, fwd.output, y)
        g.outputs = {"loss": loss, "correct": correct}
    else:
        loss = loss_def.build(g, fwd.output, y, recipe.loss.options,
                              lambda name, value: fwd.ctx.hyper(f"loss.{name}", value))
        g.outputs = {"loss": loss}
        if loss_def.task.counts_correct:
            g.outputs["correct"] = loss_def.task.correct(g, fwd.output, y)
    if on_stage:
        on_stage("build", g)
    # the penalties join the objective autodiff differentiates, never the reported loss
    objective, penalties = attach_penalties(g, fwd.ctx, recipe, loss)
    # frozen parameters (`freeze = true`) are inputs the step reads and never differentiates
    params = [p for p, info in zip(g.by_role("param"), fwd.ctx.params) if not info.frozen]
    # pruned weights' gradients masked (compiler/prune.py) before the clipping norm sees them
    grads = mask_gradients(g, fwd.ctx, recipe, params, grad(g, objective, params))
    grads = clip_gradients(g, fwd.ctx, recipe, params, grads)
    slots = _attach_optimizer(g, fwd.ctx, recipe, grads)
    attach_max_norms(g, fwd.ctx, recipe)
    if on_stage:
        on_stage("autodiff", g)

    pred = build_forward(recipe.model, training=False)
    return StepGraphs(g, pred.graph, fwd.params, slots, fwd.ctx.stats, loss_def,
                      dict(recipe.loss.options), _all_hypers(fwd.ctx, pred.ctx), penalties)
