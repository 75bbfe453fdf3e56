"""Multi-class margin (hinge) loss of logits [B, C] against int64 labels [B], as torch's
MultiMarginLoss(p = 1, margin): per row sum over j != y of max(0, margin - x_y + x_j) / C,
mean over the rows. `margin` is a run-time input (float64 scalar, role "hyper")."""
from __future__ import annotations

import numpy as np

from . import OpDef, register
from .losses import _scalar_like


def _terms(x, labels, margin):
    x64 = x.astype(np.float64)
    rows = np.arange(len(labels))
    t = float(margin) - x64[rows, labels][:, None] + x64
    t[rows, labels] = 0.0            # the label's own column is not a margin
    return t


def _ref(x, labels, margin):
    c = x.shape[1]
    return x.dtype.type((np.maximum(_terms(x, labels, margin), 0.0).sum(axis=1) / c).mean())


def _grad_ref(x, labels, margin, d):
    b, c = x.shape
    active = (_terms(x, labels, margin) > 0).astype(np.float64)
    active[np.arange(b), labels] = -active.sum(axis=1)
    return (active * (float(d) / (b * c))).astype(x.dtype)


register(OpDef(
    "multi_margin", _scalar_like, _ref,
    vjp=lambda g, n, ct: [g.add("multi_margin_grad", *n.inputs, ct[0]), None, None],
    doc="mean over rows of sum_{j != y} max(0, margin - x_y + x_j) / C"))
register(OpDef("multi_margin_grad", lambda types, attrs: [types[0]], _grad_ref,
               doc="+1/C for each active margin column, minus their count at the label, * d / B"))
