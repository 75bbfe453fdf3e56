"""Softmax, the losses, and the accuracy counter; all row-wise over [B, C] logits.

Row loops run in parallel over the batch and write per-row partial results; the final sum runs
serially in a fixed order so the loss is bitwise the same whatever the thread count.
"""
from __future__ import annotations

import numpy as np

from ..ir import TensorType
from . import OpDef, register



def _scalar_like(types, attrs):
    return [TensorType((), types[0].dtype)]


def _row_logsumexp(lines, logits, c):
    """Lines computing m (row max) and s (sum of exp(x - m)) for row i; max-shift avoids overflow."""
    lines += [
        f"    m = {logits}[i, 0]",
        f"    for j in range(1, {c}):",
        f"        m = max(m, {logits}[i, j])",
        "    s = 0.0",
        f"    for j in range({c}):",
        f"        s += np.exp({logits}[i, j] - m)",
    ]


def _np_softmax(x):
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# -- softmax cross-entropy from logits, integer labels, mean over the batch -----------------
def _ce_ref(logits, labels):
    x64 = logits.astype(np.float64)
    m = x64.max(axis=1)
    lse = np.log(np.exp(x64 - m[:, None]).sum(axis=1)) + m
    return logits.dtype.type((lse - x64[np.arange(len(labels)), labels]).mean())


def _ce_emit(n, ctx):
    logits, labels = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    rows = ctx.scratch((b,), "float64")
    lines = [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):"]
    _row_logsumexp(lines, logits, c)
    total = ctx.fresh("total")
    lines += [f"    {rows}[i] = np.log(s) + m - {logits}[i, {labels}[i]]",
              f"{total} = 0.0",
              f"for i in range({b}):",
              f"    {total} += {rows}[i]",
              f"{ctx.name(n.outputs[0])} = np.float32({total} / {b})"]
    return lines


register(OpDef(
    "softmax_ce", _scalar_like, _ce_ref, emit=_ce_emit,
    vjp=lambda g, n, ct: [g.add("softmax_ce_grad", n.inputs[0], n.inputs[1], ct[0]), None],
    doc="mean softmax cross-entropy of logits [B, C] against int64 labels [B]",
))


def _ce_grad_ref(logits, labels, d):
    p = _np_softmax(logits)
    p[np.arange(len(labels)), labels] -= 1.0
    return (p * (float(d) / len(labels))).astype(logits.dtype)


def _ce_grad_emit(n, ctx):
    logits, labels, d = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    out = ctx.name(n.outputs[0])
    scale = ctx.fresh("scale")
    lines = [f"{scale} = {d} / {b}", f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):"]
    _row_logsumexp(lines, logits, c)
    lines += [f"    for j in range({c}):",
              f"        p = np.exp({logits}[i, j] - m) / s",
              f"        if j == {labels}[i]:",
              "            p -= 1.0",
              f"        {out}[i, j] = np.float32(p * {scale})"]
    return lines


register(OpDef("softmax_ce_grad", lambda types, attrs: [types[0]], _ce_grad_ref,
               emit=_ce_grad_emit, doc="(softmax(logits) - onehot(labels)) * d / B"))


# -- softmax as a layer (probabilities) -----------------------------------------------------
def _softmax_emit(n, ctx):
    x = ctx.name(n.inputs[0])
    b, c = ctx.shape(n.inputs[0])
    out = ctx.name(n.outputs[0])
    lines = [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):"]
    _row_logsumexp(lines, x, c)
    lines += [f"    for j in range({c}):",
              f"        {out}[i, j] = np.float32(np.exp({x}[i, j] - m) / s)"]
    return lines


def _softmax_grad_emit(n, ctx):
    y, d = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    out = ctx.name(n.outputs[0])
    return [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):",
            "    dot = 0.0",
            f"    for j in range({c}):",
            f"        dot += {y}[i, j] * {d}[i, j]",
            f"    for j in range({c}):",
            f"        {out}[i, j] = np.float32({y}[i, j] * ({d}[i, j] - dot))"]


register(OpDef(
    "softmax", lambda types, attrs: [types[0]],
    lambda x: _np_softmax(x).astype(x.dtype), emit=_softmax_emit,
    vjp=lambda g, n, ct: [g.add("softmax_grad", n.outputs[0], ct[0])],
    doc="row-wise softmax of [B, C]",
))
register(OpDef(
    "softmax_grad", lambda types, attrs: [types[1]],
    lambda y, d: (y * (d - (y.astype(np.float64) * d).sum(axis=1, keepdims=True))).astype(d.dtype),
    emit=_softmax_grad_emit, doc="y * (d - sum(y * d)) per row",
))


# -- mean squared error over all elements ---------------------------------------------------
def _mse_emit(n, ctx):
    p, t = (ctx.name(v) for v in n.inputs)
    b, k = ctx.shape(n.inputs[0])
    rows = ctx.scratch((b,), "float64")
    total = ctx.fresh("total")
    return [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):",
            "    s = 0.0",
            f"    for j in range({k}):",
            f"        e = {p}[i, j] - {t}[i, j]",
            "        s += e * e",
            f"    {rows}[i] = s",
            f"{total} = 0.0",
            f"for i in range({b}):",
            f"    {total} += {rows}[i]",
            f"{ctx.name(n.outputs[0])} = np.float32({total} / ({b} * {k}))"]


def _mse_grad_emit(n, ctx):
    p, t, d = (ctx.name(v) for v in n.inputs)
    b, k = ctx.shape(n.inputs[0])
    out, scale = ctx.name(n.outputs[0]), ctx.fresh("scale")
    return [f"{scale} = np.float32(2.0 * {d} / ({b} * {k}))",
            f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):",
            f"    for j in range({k}):",
            f"        {out}[i, j] = ({p}[i, j] - {t}[i, j]) * {scale}"]


register(OpDef(
    "mse", _scalar_like,
    lambda p, t: p.dtype.type(((p.astype(np.float64) - t) ** 2).mean()), emit=_mse_emit,
    vjp=lambda g, n, ct: [g.add("mse_grad", *n.inputs, ct[0]), None],
    doc="mean over all elements of (pred - target)^2",
))
register(OpDef(
    "mse_grad", lambda types, attrs: [types[0]],
    lambda p, t, d: ((p - t) * p.dtype.type(2.0 * float(d) / p.size)).astype(p.dtype),
    emit=_mse_grad_emit,
))


# -- accuracy counter (not differentiable) --------------------------------------------------
def _correct_emit(n, ctx):
    logits, labels = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    hits = ctx.scratch((b,), "int64")
    return [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):",
            "    best = 0",
            f"    for j in range(1, {c}):",
            f"        if {logits}[i, j] > {logits}[i, best]:",
            "            best = j",
            f"    {hits}[i] = 1 if best == {labels}[i] else 0",
            f"{ctx.name(n.outputs[0])} = {hits}[:{b}].sum()"]


register(OpDef(
    "count_correct", lambda types, attrs: [TensorType((), "int64")],
    lambda logits, labels: np.int64((logits.argmax(axis=1) == labels).sum()),
    emit=_correct_emit, doc="number of rows whose arg-max equals the label",
))
