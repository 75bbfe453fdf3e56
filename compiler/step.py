"""Checked recipe -> the two graphs a program runs: the training step and the prediction.

The training step takes a batch, computes the loss, its gradients (autodiff pass) and applies
the optimizer's in-place updates; everything it touches is an explicit graph input, so the
runtime owns (and can checkpoint) all state: parameters, optimizer slots, step, seed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .build import BuildContext, ParamInfo, StatInfo, build_forward
from .ir import Graph, TensorType
from .losses import LOSSES, LossDef
from .passes.autodiff import grad
from .recipe import Recipe
from .tasks import Task

SLOTS = {"sgd": ("velocity",), "adam": ("m", "v")}


@dataclass(frozen=True)
class SlotInfo:
    name: str                 # "dense_1.weight:velocity"
    shape: tuple[int, ...]


@dataclass(frozen=True)
class HyperInfo:
    """A run-time hyperparameter: a scalar graph input (role "hyper") whose value the kernels
    read from their `hypers` argument, so changing it compiles nothing."""
    name: str                 # "optimizer.momentum", "model.dropout_1.rate", ...
    value: float


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

    @property
    def task(self) -> Task:
        """What the loss implies: label type, training accuracy, predict() post-processing."""
        return self.loss_def.task

    def loss_value(self, outputs: np.ndarray, y: np.ndarray) -> float:
        """The recipe's loss over a whole split in numpy (what `evaluate` reports)."""
        return self.loss_def.value(outputs, y, self.loss_options)


def label_type(recipe: Recipe) -> TensorType:
    return LOSSES[recipe.loss.kind].task.label_type(recipe.model.output_shape)


def _attach_optimizer(g: Graph, ctx: BuildContext, recipe: Recipe, grads) -> list[SlotInfo]:
    opt = recipe.optimizer
    names = SLOTS[opt.kind]
    if opt.kind == "sgd" and not opt["momentum"]:
        names = ()
    slots: list[SlotInfo] = []
    lr = ctx.scalar("lr")
    for p, pinfo in zip(g.by_role("param"), ctx.params):
        state = []
        wd = opt["weight_decay"] * pinfo.decay_mult
        for slot in names:
            info = SlotInfo(f"{p.name}:{slot}", tuple(p.shape))
            slots.append(info)
            state.append(g.input(info.name, p.type, "slot"))
        if opt.kind == "sgd":
            g.add_multi("sgd_update", p, grads[p.id], *state, lr, momentum=opt["momentum"],
                        nesterov=opt["nesterov"], weight_decay=wd, lr_mult=pinfo.lr_mult)
        else:
            g.add_multi("adam_update", p, grads[p.id], *state, lr, ctx.scalar("step"),
                        beta1=opt["beta1"], beta2=opt["beta2"], eps=opt["eps"],
                        weight_decay=wd, lr_mult=pinfo.lr_mult)
    return slots


def build_step_graphs(recipe: Recipe, on_stage=None) -> StepGraphs:
    """`on_stage(name, graph)` sees the training graph after "build" (forward and loss) and
    after "autodiff" (gradients and the optimizer's updates)."""
    ytype = label_type(recipe)
    fwd = build_forward(recipe.model, training=True, label_type=ytype,
                        augment=recipe.data.augment)
    g = fwd.graph
    y = g.input_named("y")
    loss_def = LOSSES[recipe.loss.kind]
    loss = loss_def.build(g, fwd.output, y, recipe.loss.options)
    g.outputs = {"loss": loss}
    if loss_def.task.counts_correct:
        g.outputs["correct"] = loss_def.task.correct(g, fwd.output, y)
    if on_stage:
        on_stage("build", g)
    grads = grad(g, loss, g.by_role("param"))
    slots = _attach_optimizer(g, fwd.ctx, recipe, grads)
    if on_stage:
        on_stage("autodiff", g)

    pred = build_forward(recipe.model, training=False)
    return StepGraphs(g, pred.graph, fwd.params, slots, fwd.ctx.stats, loss_def,
                      dict(recipe.loss.options))
