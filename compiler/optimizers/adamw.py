"""adamw(lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2):
torch.optim.AdamW.

Decoupled weight decay: each step first shrinks the weights, p *= 1 - lr * weight_decay, then
takes Adam's step on the gradient alone (no decay added to it). The parameter's lr_mult scales
lr and its decay_mult scales weight_decay, both in the shrink, as for adam. It is adam's op
and library kernel with the `decoupled` attr (adam.py), not a new op: the two differ in one
line. Two slots (m, v); every option but lr is a run-time input.
"""
from __future__ import annotations

from dataclasses import replace

from . import OptimizerDef, Update, register
from .adam import ADAM, build


def _update(u: Update) -> None:
    build(u, decoupled=True)


register(OptimizerDef(
    "adamw",
    tuple(replace(o, default=1e-2, doc="decoupled weight decay: p *= 1 - lr * weight_decay")
          if o.name == "weight_decay" else o for o in ADAM.opts),
    ADAM.slots, ADAM.hypers, _update,
    doc="Adam with decoupled weight decay (AdamW)",
))
