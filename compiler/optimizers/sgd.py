"""sgd(lr, momentum = 0, nesterov = false, weight_decay = 0): torch.optim.SGD's update.

Whether there is momentum at all is structure: momentum 0 keeps no velocity slot (and reads
no momentum input); nesterov picks the formula. momentum's value and weight_decay are
run-time inputs.
"""
from __future__ import annotations

from ..options import Opt
from . import LR, WEIGHT_DECAY, OptimizerDef, Update, register


def _slots(options) -> tuple[str, ...]:
    return ("velocity",) if options["momentum"] else ()


def _update(u: Update) -> None:
    velocity = bool(u.slots)
    momentum = (u.hyper("momentum"),) if velocity else ()
    u.graph.add_multi("sgd_update", u.param, u.grad, *u.slots, u.scalar("lr"), u.mult("lr"),
                      u.mult("decay"), u.hyper("weight_decay"), *momentum,
                      velocity=velocity, nesterov=bool(u.options["nesterov"]))


register(OptimizerDef(
    "sgd",
    (LR, Opt("momentum", "float", 0.0, min=0.0, max=1.0, max_inclusive=False),
     Opt("nesterov", "bool", False), WEIGHT_DECAY),
    _slots, ("momentum", "weight_decay"), _update,
    doc="stochastic gradient descent, optionally with (Nesterov) momentum",
))
