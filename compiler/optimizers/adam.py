"""adam(lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0): torch.optim.Adam.

Two slots per parameter (the moments m and v); every option but lr is a run-time input.
adamw (adamw.py) is this update with decoupled weight decay: the same op and kernel, its
`decoupled` attr set.
"""
from __future__ import annotations

from dataclasses import replace

from ..options import Opt
from . import LR, WEIGHT_DECAY, OptimizerDef, Update, register


def build(u: Update, decoupled: bool) -> None:
    u.graph.add_multi("adam_update", u.param, u.grad, *u.slots, u.scalar("lr"), u.scalar("step"),
                      u.mult("lr"), u.mult("decay"), u.hyper("weight_decay"), u.hyper("beta1"),
                      u.hyper("beta2"), u.hyper("eps"), decoupled=decoupled)


def _update(u: Update) -> None:
    build(u, decoupled=False)


ADAM = register(OptimizerDef(
    "adam",
    (replace(LR, required=False, default=1e-3),
     Opt("beta1", "float", 0.9, min=0.0, max=1.0, max_inclusive=False),
     Opt("beta2", "float", 0.999, min=0.0, max=1.0, max_inclusive=False),
     Opt("eps", "float", 1e-8, min=0.0, min_inclusive=False), WEIGHT_DECAY),
    lambda options: ("m", "v"), ("beta1", "beta2", "eps", "weight_decay"), _update,
    doc="Adam with bias correction and L2 weight decay added to the gradient",
))
