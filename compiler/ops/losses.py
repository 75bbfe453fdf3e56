"""Softmax, the losses, and the accuracy counter; all row-wise over [B, C] logits.

Row loops run in parallel over the batch and write per-row partial results; the final sum runs
serially in a fixed order so the loss is bitwise the same whatever the thread count.
"""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register


def _scalar_like(types, attrs):
    return [TensorType((), types[0].dtype)]


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


register(OpDef(
    "softmax_ce", _scalar_like, _ce_ref,
    vjp=lambda g, n, ct: [g.add("softmax_ce_grad", n.inputs[0], n.inputs[1], ct[0]), None],
    doc="mean softmax cross-entropy of logits [B, C] against int64 labels [B]",
))


def _ce_grad_ref(logits, labels, d):
    p = _np_softmax(logits)
    p[np.arange(len(labels)), labels] -= 1.0
    return (p * (float(d) / len(labels))).astype(logits.dtype)


register(OpDef("softmax_ce_grad", lambda types, attrs: [types[0]], _ce_grad_ref, doc="(softmax(logits) - onehot(labels)) * d / B"))


register(OpDef(
    "softmax", lambda types, attrs: [types[0]],
    lambda x: _np_softmax(x).astype(x.dtype),
    vjp=lambda g, n, ct: [g.add("softmax_grad", n.outputs[0], ct[0])],
    doc="row-wise softmax of [B, C]",
))
register(OpDef(
    "softmax_grad", lambda types, attrs: [types[1]],
    lambda y, d: (y * (d - (y.astype(np.float64) * d).sum(axis=1, keepdims=True))).astype(d.dtype), doc="y * (d - sum(y * d)) per row",
))


register(OpDef(
    "mse", _scalar_like,
    lambda p, t: p.dtype.type(((p.astype(np.float64) - t) ** 2).mean()),
    vjp=lambda g, n, ct: [g.add("mse_grad", *n.inputs, ct[0]), None],
    doc="mean over all elements of (pred - target)^2",
))
register(OpDef(
    "mse_grad", lambda types, attrs: [types[0]],
    lambda p, t, d: ((p - t) * p.dtype.type(2.0 * float(d) / p.size)).astype(p.dtype),
))


register(OpDef(
    "count_correct", lambda types, attrs: [TensorType((), "int64")],
    lambda logits, labels: np.int64((logits.argmax(axis=1) == labels).sum()), doc="number of rows whose arg-max equals the label",
))
