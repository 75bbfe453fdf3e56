"""Batch normalisation over every axis but the channel axis (1): [B, C] or [B, C, *spatial].

Training uses the batch's statistics and updates the running statistics (graph inputs of role
"stat", part of the training state) in place; evaluation uses the running statistics.
Running variance is the unbiased batch variance, and `momentum` weighs the old value
(Keras' convention: running = momentum * running + (1 - momentum) * batch; PyTorch's
momentum=0.1 is momentum=0.9 here).
Kernels view x as [B, C, S] (S = product of the spatial axes) and run one thread per channel:
each statistic has one writer and a fixed summation order (float64), so results do not depend
on the thread count.
"""
from __future__ import annotations

import numpy as np

from ..ir import TensorType
from . import OpDef, register


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _bshape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _spatial(ctx, v):
    dims = ctx.shape(v)
    return dims[0], dims[1], " * ".join(dims[2:]) or "1"


def _channel_type(x: TensorType) -> TensorType:
    return TensorType((x.shape[1],), x.dtype)


# -- training forward: (x, gamma, beta) -> (y, mean, invstd) --------------------------------
def _train_ref(x, gamma, beta, *, eps):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=_axes(x))
    var = x64.var(axis=_axes(x))
    invstd = 1.0 / np.sqrt(var + eps)
    xhat = (x64 - mean.reshape(_bshape(x))) * invstd.reshape(_bshape(x))
    y = xhat * gamma.reshape(_bshape(x)) + beta.reshape(_bshape(x))
    return y.astype(x.dtype), mean.astype(x.dtype), invstd.astype(x.dtype)


def _train_emit(n, ctx):
    x, gamma, beta = (ctx.name(v) for v in n.inputs)
    y, mean, invstd = (ctx.name(v) for v in n.outputs)
    b, c, s = _spatial(ctx, n.inputs[0])
    xv, yv = ctx.fresh("xv"), ctx.fresh("yv")
    return [f"{xv} = view({x}, ({b}, {c}, {s}))",
            f"{yv} = view({y}, ({b}, {c}, {s}))",
            f"for ch in {ctx.loop(b, c, s)}({c}):",
            "    acc = 0.0",
            "    sq = 0.0",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            val = np.float64({xv}[bi, ch, si])",
            "            acc += val",
            "            sq += val * val",
            f"    count = {b} * ({s})",
            "    mu = acc / count",
            "    var = max(sq / count - mu * mu, 0.0)",
            f"    inv = 1.0 / np.sqrt(var + {n.attrs['eps']!r})",
            f"    {mean}[ch] = mu",
            f"    {invstd}[ch] = inv",
            f"    scale = np.float32(inv * {gamma}[ch])",
            f"    shift = np.float32({beta}[ch] - mu * inv * {gamma}[ch])",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            {yv}[bi, ch, si] = {xv}[bi, ch, si] * scale + shift"]


def _train_vjp(g, n, ct):
    x, gamma, _ = n.inputs
    _, mean, invstd = n.outputs
    dx, dgamma, dbeta = g.add_multi("batchnorm_grad", x, gamma, mean, invstd, ct[0])
    return [dx, dgamma, dbeta]


register(OpDef(
    "batchnorm_train",
    lambda types, attrs: [types[0], _channel_type(types[0]), _channel_type(types[0])],
    _train_ref, vjp=_train_vjp, emit=_train_emit,
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


def _grad_emit(n, ctx):
    x, gamma, mean, invstd, dy = (ctx.name(v) for v in n.inputs)
    dx, dgamma, dbeta = (ctx.name(v) for v in n.outputs)
    b, c, s = _spatial(ctx, n.inputs[0])
    xv, dyv, dxv = ctx.fresh("xv"), ctx.fresh("dyv"), ctx.fresh("dxv")
    return [f"{xv} = view({x}, ({b}, {c}, {s}))",
            f"{dyv} = view({dy}, ({b}, {c}, {s}))",
            f"{dxv} = view({dx}, ({b}, {c}, {s}))",
            f"for ch in {ctx.loop(b, c, s)}({c}):",
            "    sb = 0.0",
            "    sg = 0.0",
            f"    mu = np.float64({mean}[ch])",
            f"    inv = np.float64({invstd}[ch])",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            d = np.float64({dyv}[bi, ch, si])",
            "            sb += d",
            f"            sg += d * (np.float64({xv}[bi, ch, si]) - mu) * inv",
            f"    {dbeta}[ch] = sb",
            f"    {dgamma}[ch] = sg",
            f"    count = {b} * ({s})",
            f"    k = np.float64({gamma}[ch]) * inv / count",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            xh = (np.float64({xv}[bi, ch, si]) - mu) * inv",
            f"            {dxv}[bi, ch, si] = k * (count * np.float64({dyv}[bi, ch, si]) - sb - xh * sg)"]


register(OpDef(
    "batchnorm_grad",
    lambda types, attrs: [types[0], types[1], types[1]],
    _grad_ref, emit=_grad_emit, doc="input, scale and shift cotangents of batchnorm_train",
))


# -- running statistics update (effect); x is an input only for its element count ------------
def _update_ref(running_mean, running_var, mean, invstd, x, *, momentum, eps):
    count = x.size // x.shape[1]
    var = 1.0 / invstd.astype(np.float64) ** 2 - eps
    unbiased = var * count / max(count - 1, 1)
    running_mean[...] = momentum * running_mean + (1 - momentum) * mean
    running_var[...] = momentum * running_var + (1 - momentum) * unbiased


def _update_emit(n, ctx):
    rm, rv, mean, invstd = (ctx.name(v) for v in n.inputs[:4])
    b, c, s = _spatial(ctx, n.inputs[4])
    mom, eps = n.attrs["momentum"], n.attrs["eps"]
    count = ctx.fresh("count")
    return [f"{count} = {b} * ({s})",
            f"for ch in range({c}):",
            f"    var = 1.0 / np.float64({invstd}[ch]) ** 2 - {eps!r}",
            f"    var = var * {count} / max({count} - 1, 1)",
            f"    {rm}[ch] = {mom!r} * {rm}[ch] + {1 - mom!r} * {mean}[ch]",
            f"    {rv}[ch] = {mom!r} * {rv}[ch] + {1 - mom!r} * var"]


register(OpDef(
    "batchnorm_stats_update", lambda types, attrs: [], _update_ref, emit=_update_emit,
    effect=True,
    doc="inputs (running_mean, running_var, mean, invstd, x): running <- momentum * running "
        "+ (1 - momentum) * batch, with the unbiased batch variance",
))


# -- evaluation: (x, gamma, beta, running_mean, running_var) -> y ---------------------------
def _infer_ref(x, gamma, beta, rm, rv, *, eps):
    bs = _bshape(x)
    inv = 1.0 / np.sqrt(rv.astype(np.float64) + eps)
    y = (x - rm.reshape(bs)) * (inv * gamma).reshape(bs) + beta.reshape(bs)
    return y.astype(x.dtype)


def _infer_emit(n, ctx):
    x, gamma, beta, rm, rv = (ctx.name(v) for v in n.inputs)
    y = ctx.name(n.outputs[0])
    b, c, s = _spatial(ctx, n.inputs[0])
    xv, yv = ctx.fresh("xv"), ctx.fresh("yv")
    return [f"{xv} = view({x}, ({b}, {c}, {s}))",
            f"{yv} = view({y}, ({b}, {c}, {s}))",
            f"for ch in {ctx.loop(b, c, s)}({c}):",
            f"    inv = 1.0 / np.sqrt(np.float64({rv}[ch]) + {n.attrs['eps']!r})",
            f"    scale = np.float32(inv * {gamma}[ch])",
            f"    shift = np.float32({beta}[ch] - {rm}[ch] * inv * {gamma}[ch])",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            {yv}[bi, ch, si] = {xv}[bi, ch, si] * scale + shift"]


register(OpDef(
    "batchnorm_infer", lambda types, attrs: [types[0]], _infer_ref, emit=_infer_emit,
    doc="normalisation with the running statistics",
))

