"""rmsprop(lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0, centered = false,
weight_decay = 0): torch.optim.RMSprop.

    square_avg = alpha square_avg + (1 - alpha) g^2            (g with L2 weight decay added)
    centered:  grad_avg = alpha grad_avg + (1 - alpha) g,  avg = sqrt(square_avg - grad_avg^2)
    otherwise: avg = sqrt(square_avg)
    momentum > 0: buf = momentum buf + g / (avg + eps),  p -= lr buf
    otherwise:    p -= lr g / (avg + eps)
eps is added outside the square root, as PyTorch does (Keras and TensorFlow add it inside).
Slots: square_avg, then momentum_buffer when momentum > 0, then grad_avg when centered: which
exist is structure, decided from the checked options like sgd's velocity. alpha, eps,
momentum and weight_decay are run-time inputs (momentum only when there is a buffer).
"""
from __future__ import annotations

from dataclasses import replace

from ..options import Opt
from . import LR, WEIGHT_DECAY, OptimizerDef, Update, register


def _slots(options) -> tuple[str, ...]:
    return (("square_avg",) + (("momentum_buffer",) if options["momentum"] else ())
            + (("grad_avg",) if options["centered"] else ()))


def _update(u: Update) -> None:
    momentum, centered = bool(u.options["momentum"]), bool(u.options["centered"])
    mu = (u.hyper("momentum"),) if momentum else ()
    u.graph.add_multi("rmsprop_update", u.param, u.grad, *u.slots, u.scalar("lr"),
                      u.mult("lr"), u.mult("decay"), u.hyper("weight_decay"), u.hyper("alpha"),
                      u.hyper("eps"), *mu, momentum=momentum, centered=centered)


register(OptimizerDef(
    "rmsprop",
    (replace(LR, required=False, default=1e-2),
     Opt("alpha", "float", 0.99, min=0.0, max=1.0, max_inclusive=False,
         doc="smoothing constant of the squared-gradient average"),
     Opt("eps", "float", 1e-8, min=0.0, min_inclusive=False,
         doc="added to the root mean square, outside the square root"),
     Opt("momentum", "float", 0.0, min=0.0, max=1.0, max_inclusive=False),
     Opt("centered", "bool", False, doc="divide by the gradient's estimated variance"),
     WEIGHT_DECAY),
    _slots, ("alpha", "eps", "momentum", "weight_decay"), _update,
    doc="RMSprop, optionally centered and with momentum",
))
