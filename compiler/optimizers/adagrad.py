"""adagrad(lr = 1e-2, lr_decay = 0, eps = 1e-10, initial_accumulator = 0, weight_decay = 0):
torch.optim.Adagrad (its `initial_accumulator_value` is `initial_accumulator` here).

    clr = lr / (1 + (t - 1) lr_decay)          (t = 1 at the first step)
    sum += g^2                                  (g with L2 weight decay added)
    p -= clr g / (sqrt(sum) + eps)
One slot, the sum of squared gradients, which starts at initial_accumulator: that is the
slot's initial value in the training state (runtime/state.py), not an input of the step, so
changing it compiles nothing. lr_decay, eps and weight_decay are run-time inputs.
"""
from __future__ import annotations

from dataclasses import replace

from ..options import Opt
from . import LR, WEIGHT_DECAY, OptimizerDef, Slot, Update, register


def _slots(options) -> tuple[Slot, ...]:
    return (Slot("sum", initial=float(options["initial_accumulator"])),)


def _update(u: Update) -> None:
    u.graph.add_multi("adagrad_update", u.param, u.grad, *u.slots, u.scalar("lr"),
                      u.scalar("step"), u.mult("lr"), u.mult("decay"), u.hyper("weight_decay"),
                      u.hyper("lr_decay"), u.hyper("eps"))


register(OptimizerDef(
    "adagrad",
    (replace(LR, required=False, default=1e-2),
     Opt("lr_decay", "float", 0.0, min=0.0, doc="lr / (1 + (t - 1) lr_decay) at step t"),
     Opt("eps", "float", 1e-10, min=0.0, min_inclusive=False),
     Opt("initial_accumulator", "float", 0.0, min=0.0,
         doc="the starting value of the sum of squared gradients"),
     WEIGHT_DECAY),
    _slots, ("lr_decay", "eps", "weight_decay"), _update,
    doc="Adagrad, with learning-rate decay and a starting accumulator",
))
