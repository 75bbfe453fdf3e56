"""Optimizer updates: effect ops that rewrite a parameter and its slots in place.

They follow PyTorch's formulas (torch.optim.SGD / Adam with L2 `weight_decay` added to the
gradient) so the benchmark can check that both systems take the same steps.
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


def _sgd_ref(p, g, *rest, momentum, nesterov, weight_decay, lr_mult=1.0):
    lr = np.float32(rest[-1]) * np.float32(lr_mult)
    d = g + np.float32(weight_decay) * p if weight_decay else g.copy()
    if momentum:
        v = rest[0]
        v *= np.float32(momentum)
        v += d
        _flush(v)
        d = d + np.float32(momentum) * v if nesterov else v
    p -= np.float32(lr) * d


register(OpDef(
    "sgd_update", lambda types, attrs: [], _sgd_ref, effect=True,
    doc="inputs (param, grad, [velocity], lr): SGD with optional (Nesterov) momentum",
))


def _adam_ref(p, g, m, v, lr, step, *, beta1, beta2, eps, weight_decay, lr_mult=1.0):
    t = int(step) + 1
    lr = np.float32(lr) * np.float32(lr_mult)
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
    doc="inputs (param, grad, m, v, lr, step): Adam with bias correction as in PyTorch",
))
