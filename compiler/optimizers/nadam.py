"""nadam(lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0,
momentum_decay = 4e-3): torch.optim.NAdam (L2 weight decay added to the gradient).

Adam with Nesterov momentum and Dozat's momentum schedule mu_t = beta1 (1 - 0.96^(t psi) / 2),
psi = momentum_decay:
    m, v as adam's;  denom = sqrt(v / (1 - beta2^t)) + eps
    p -= lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) g / denom
       + lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) m / denom
The running product of the mu_i is a third slot, one float32 per parameter (shape [1],
starting at 1) as PyTorch keeps it, so each step multiplies it once instead of recomputing
t factors. Every option but lr is a run-time input.
NOTE: the product shrinks geometrically (about 0.45 a step with the defaults) and reaches
float32's denormals, then zero, after about a hundred steps, as PyTorch's does; by then
1 - product is 1 in float64 anyway, and it is one value per parameter, so it is not flushed.
"""
from __future__ import annotations

from dataclasses import replace

from ..options import Opt
from . import OptimizerDef, Slot, Update, register
from .adam import ADAM


def _update(u: Update) -> None:
    u.graph.add_multi("nadam_update", u.param, u.grad, *u.slots, u.scalar("lr"),
                      u.scalar("step"), u.mult("lr"), u.mult("decay"), u.hyper("weight_decay"),
                      u.hyper("beta1"), u.hyper("beta2"), u.hyper("eps"),
                      u.hyper("momentum_decay"))


register(OptimizerDef(
    "nadam",
    tuple(replace(o, default=2e-3) if o.name == "lr" else o for o in ADAM.opts)
    + (Opt("momentum_decay", "float", 4e-3, min=0.0,
           doc="psi of the momentum schedule mu_t = beta1 (1 - 0.96^(t psi) / 2)"),),
    lambda options: ("m", "v", Slot("mu_product", initial=1.0, scalar=True)),
    ADAM.hypers + ("momentum_decay",), _update,
    doc="Adam with Nesterov momentum (NAdam)",
))
