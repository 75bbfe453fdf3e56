"""Softmax cross-entropy with label smoothing and class weights, as torch's
CrossEntropyLoss(weight = w, label_smoothing = eps) with reduction='mean', integer labels:

    L_ic = -log softmax(x_i)_c
    loss = sum_i [(1 - eps) w_{y_i} L_{i y_i} + eps / C sum_c w_c L_ic] / sum_i w_{y_i}

(torch divides the smoothing term by the same sum of the label weights). Inputs: logits
[B, C], labels [B], eps, then the C weights w_0 .. w_{C-1}, all float64 scalars of role
"hyper": changing a weight or the smoothing compiles nothing. The plain loss is softmax_ce.
"""
from __future__ import annotations

import numpy as np

from . import OpDef, register
from .losses import _np_softmax, _scalar_like


def _log_softmax(x):
    x64 = x.astype(np.float64)
    m = x64.max(axis=1, keepdims=True)
    return x64 - m - np.log(np.exp(x64 - m).sum(axis=1, keepdims=True))


def _ref(x, labels, eps, *w):
    w = np.asarray(w, np.float64)
    eps = float(eps)
    nll = -_log_softmax(x)
    rows = np.arange(len(labels))
    wy = w[labels]
    per_row = (1.0 - eps) * wy * nll[rows, labels] + eps / x.shape[1] * (nll * w).sum(axis=1)
    return x.dtype.type(per_row.sum() / wy.sum())


def _grad_ref(x, labels, eps, *rest):
    *w, d = rest
    w = np.asarray(w, np.float64)
    eps = float(eps)
    b, c = x.shape
    rows = np.arange(b)
    wy = w[labels]
    p = _np_softmax(x)
    # d/dx_ij = p_ij ((1 - eps) w_y + eps/C sum(w)) - (1 - eps) w_y [j = y] - eps/C w_j
    g = p * ((1.0 - eps) * wy + eps / c * w.sum())[:, None] - eps / c * w[None, :]
    g[rows, labels] -= (1.0 - eps) * wy
    return (g * (float(d) / wy.sum())).astype(x.dtype)


register(OpDef(
    "softmax_ce_ws", _scalar_like, _ref,
    vjp=lambda g, n, ct: [g.add("softmax_ce_ws_grad", *n.inputs, ct[0])]
    + [None] * (len(n.inputs) - 1),
    doc="softmax cross-entropy of logits [B, C], labels [B], with label smoothing eps and "
        "class weights w_0..w_{C-1} (weighted mean)"))
register(OpDef("softmax_ce_ws_grad", lambda types, attrs: [types[0]], _grad_ref,
               doc="the gradient of softmax_ce_ws times d"))
