"""Batch normalisation over every axis but the channel axis (1): [B, C] or [B, C, *spatial].

Training uses the batch's statistics and updates the running statistics (graph inputs of role
"stat", part of the training state) in place; evaluation uses the running statistics.
Running variance is the unbiased batch variance, and `momentum` weighs the old value
(Keras' convention: running = momentum * running + (1 - momentum) * batch; PyTorch's
momentum=0.1 is momentum=0.9 here).
`eps` and `momentum` are inputs (float64 scalars of role "hyper"), so changing them compiles
nothing; the references take them as Python floats, which is what the literals were.
Kernels view x as [B, C, S] (S = product of the spatial axes) and run one thread per channel:
each statistic has one writer and a fixed summation order (float64), so results do not depend
on the thread count.
"""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _bshape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _channel_type(x: TensorType) -> TensorType:
    return TensorType((x.shape[1],), x.dtype)


# -- training forward: (x, gamma, beta, eps) -> (y, mean, invstd) ---------------------------
def _train_ref(x, gamma, beta, eps):
    eps = float(eps)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=_axes(x))
    var = x64.var(axis=_axes(x))
    invstd = 1.0 / np.sqrt(var + eps)
    xhat = (x64 - mean.reshape(_bshape(x))) * invstd.reshape(_bshape(x))
    y = xhat * gamma.reshape(_bshape(x)) + beta.reshape(_bshape(x))
    return y.astype(x.dtype), mean.astype(x.dtype), invstd.astype(x.dtype)


def _train_vjp(g, n, ct):
    x, gamma, _, _ = n.inputs
    _, mean, invstd = n.outputs
    dx, dgamma, dbeta = g.add_multi("batchnorm_grad", x, gamma, mean, invstd, ct[0])
    return [dx, dgamma, dbeta, None]


register(OpDef(
    "batchnorm_train",
    lambda types, attrs: [types[0], _channel_type(types[0]), _channel_type(types[0])],
    _train_ref, vjp=_train_vjp,
    doc="batch statistics normalisation; outputs y, the batch mean and 1/sqrt(var + eps)",
))


# -- its gradient: (x, gamma, mean, invstd, dy) -> (dx, dgamma, dbeta) ----------------------
def _grad_ref(x, gamma, mean, invstd, dy):
    bs = _bshape(x)
    m = x.size / x.shape[1]
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    xhat = (x64 - mean.reshape(bs)) * invstd.reshape(bs)
    dbeta = dy64.sum(axis=_axes(x))
    dgamma = (dy64 * xhat).sum(axis=_axes(x))
    dx = (gamma * invstd).reshape(bs) / m * (m * dy64 - dbeta.reshape(bs)
                                             - xhat * dgamma.reshape(bs))
    return dx.astype(x.dtype), dgamma.astype(x.dtype), dbeta.astype(x.dtype)


register(OpDef(
    "batchnorm_grad",
    lambda types, attrs: [types[0], types[1], types[1]],
    _grad_ref, doc="input, scale and shift cotangents of batchnorm_train",
))


# -- running statistics update (effect); x is an input only for its element count ------------
def _update_ref(running_mean, running_var, mean, invstd, x, momentum, eps):
    momentum, eps = float(momentum), float(eps)
    count = x.size // x.shape[1]
    var = 1.0 / invstd.astype(np.float64) ** 2 - eps
    unbiased = var * count / max(count - 1, 1)
    running_mean[...] = momentum * running_mean + (1 - momentum) * mean
    running_var[...] = momentum * running_var + (1 - momentum) * unbiased


register(OpDef(
    "batchnorm_stats_update", lambda types, attrs: [], _update_ref,
    effect=True,
    doc="inputs (running_mean, running_var, mean, invstd, x, momentum, eps): running <- "
        "momentum * running "
        "+ (1 - momentum) * batch, with the unbiased batch variance",
))


# -- evaluation: (x, gamma, beta, running_mean, running_var, eps) -> y ----------------------
def _infer_ref(x, gamma, beta, rm, rv, eps):
    eps = float(eps)
    bs = _bshape(x)
    inv = 1.0 / np.sqrt(rv.astype(np.float64) + eps)
    y = (x - rm.reshape(bs)) * (inv * gamma).reshape(bs) + beta.reshape(bs)
    return y.astype(x.dtype)


def _infer_vjp(g, n, ct):
    # In a training step only a frozen batchnorm runs this (layers/norm.py): its scale, shift
    # and statistics are constants there, so only x has a cotangent.
    _, gamma, _, _, rv, eps = n.inputs
    return [g.add("batchnorm_infer_grad", ct[0], gamma, rv, eps), None, None, None, None, None]


register(OpDef(
    "batchnorm_infer", lambda types, attrs: [types[0]], _infer_ref, vjp=_infer_vjp,
    doc="normalisation with the running statistics",
))


# -- its input cotangent: (dy, gamma, running_var, eps) -> dx = dy * gamma / sqrt(rv + eps) ---
def _infer_grad_ref(dy, gamma, rv, eps):
    scale = gamma / np.sqrt(rv.astype(np.float64) + float(eps))
    return (dy * scale.reshape(_bshape(dy))).astype(dy.dtype)


register(OpDef(
    "batchnorm_infer_grad", lambda types, attrs: [types[0]], _infer_grad_ref,
    doc="input cotangent of batchnorm_infer (its other inputs held constant)",
))

