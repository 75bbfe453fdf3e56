"""Optimizer updates: effect ops that rewrite a parameter and its slots in place.

They follow PyTorch's formulas (torch.optim.SGD / Adam with L2 `weight_decay` added to the
gradient) so the benchmark can check that both systems take the same steps. Every numeric
option, and the parameter's lr_mult / decay_mult, is an input (a float64 scalar of role
"hyper"; `lr` is the schedule's float32 of the step): the references round them to float32
where the kernels do, so both compute what literals of the same values did. The optimizers'
registry (compiler/optimizers/) builds these nodes.
NOTE: momentum and second-moment slots of dead ReLU units decay geometrically into float32
denormals, on which x86 arithmetic is ~40x slower; values below 1e-30 are flushed to zero
(a change far below float32 resolution of any live value).
"""
from __future__ import annotations

import numpy as np

from . import OpDef, register

TINY = 1e-30


def _flush(a):
    a[np.abs(a) < TINY] = 0.0


def _sgd_ref(p, g, *rest, velocity, nesterov):
    v, rest = (rest[0], rest[1:]) if velocity else (None, rest)
    lr, lr_mult, decay_mult, weight_decay, *momentum = rest
    lr = np.float32(lr) * np.float32(float(lr_mult))
    weight_decay = float(weight_decay) * float(decay_mult)
    d = g + np.float32(weight_decay) * p if weight_decay else g.copy()
    if velocity:
        mu = np.float32(float(momentum[0]))
        v *= mu
        v += d
        _flush(v)
        d = d + mu * v if nesterov else v
    p -= np.float32(lr) * d


register(OpDef(
    "sgd_update", lambda types, attrs: [], _sgd_ref, effect=True,
    doc="inputs (param, grad, [velocity], lr, lr_mult, decay_mult, weight_decay, [momentum]); "
        "attrs velocity (a momentum slot and input: momentum > 0) and nesterov. SGD with "
        "optional (Nesterov) momentum",
))


def _adam_ref(p, g, m, v, lr, step, lr_mult, decay_mult, weight_decay, beta1, beta2, eps):
    beta1, beta2, eps = float(beta1), float(beta2), float(eps)
    weight_decay = float(weight_decay) * float(decay_mult)
    t = int(step) + 1
    lr = np.float32(lr) * np.float32(float(lr_mult))
    d = g + np.float32(weight_decay) * p if weight_decay else g
    m *= np.float32(beta1)
    m += np.float32(1 - beta1) * d
    v *= np.float32(beta2)
    v += np.float32(1 - beta2) * d * d
    _flush(m)
    _flush(v)
    step_size = np.float32(float(lr) / (1.0 - beta1 ** t))
    bc2 = np.float32(np.sqrt(1.0 - beta2 ** t))
    p -= step_size * m / (np.sqrt(v) / bc2 + np.float32(eps))


register(OpDef(
    "adam_update", lambda types, attrs: [], _adam_ref, effect=True,
    doc="inputs (param, grad, m, v, lr, step, lr_mult, decay_mult, weight_decay, beta1, beta2, "
        "eps): Adam with bias correction as in PyTorch",
))
