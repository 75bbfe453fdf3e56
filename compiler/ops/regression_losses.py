"""mae and huber over every element of [B, k] predictions against float targets.

Both are means over all elements, as torch's L1Loss and HuberLoss with reduction='mean'.
huber's `delta` is a run-time input (a float64 scalar of role "hyper").
"""
from __future__ import annotations

import numpy as np

from . import OpDef, register
from .losses import _scalar_like


def _mae_ref(p, t):
    return p.dtype.type(np.abs(p.astype(np.float64) - t).mean())


def _mae_grad_ref(p, t, d):
    # NOTE: sign(0) = 0, as torch's L1Loss gradient at an exact hit
    return (np.sign(p.astype(np.float64) - t) * (float(d) / p.size)).astype(p.dtype)


register(OpDef(
    "mae", _scalar_like, _mae_ref,
    vjp=lambda g, n, ct: [g.add("mae_grad", *n.inputs, ct[0]), None],
    doc="mean over all elements of |pred - target|"))
register(OpDef("mae_grad", lambda types, attrs: [types[0]], _mae_grad_ref,
               doc="sign(pred - target) * d / size"))


def _huber_ref(p, t, delta):
    e = np.abs(p.astype(np.float64) - t)
    delta = float(delta)
    return p.dtype.type(np.where(e < delta, 0.5 * e * e, delta * (e - 0.5 * delta)).mean())


def _huber_grad_ref(p, t, delta, d):
    e = p.astype(np.float64) - t
    return (np.clip(e, -float(delta), float(delta)) * (float(d) / p.size)).astype(p.dtype)


register(OpDef(
    "huber", _scalar_like, _huber_ref,
    vjp=lambda g, n, ct: [g.add("huber_grad", *n.inputs, ct[0]), None, None],
    doc="mean of 0.5 e^2 where |e| < delta, else delta (|e| - delta / 2); e = pred - target"))
register(OpDef("huber_grad", lambda types, attrs: [types[0]], _huber_grad_ref,
               doc="clip(pred - target, -delta, delta) * d / size"))
