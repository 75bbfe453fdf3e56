"""Binary cross-entropy from one logit z [B, 1] against int64 labels 0/1 [B], and the binary
accuracy counter. The loss is torch's BCEWithLogitsLoss(pos_weight), mean over the rows:
    l = pos_weight * y * softplus(-z) + (1 - y) * softplus(z)
(-log sigmoid(z) = softplus(-z), -log(1 - sigmoid(z)) = softplus(z)), with the stable
softplus(x) = max(x, 0) + log1p(exp(-|x|)): no exp of a large logit ever overflows.
`pos_weight` is a run-time input (float64 scalar, role "hyper")."""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register
from .losses import _scalar_like


def _softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _ref(z, labels, pos_weight):
    z64 = z.astype(np.float64)[:, 0]
    y = labels.astype(np.float64)
    loss = float(pos_weight) * y * _softplus(-z64) + (1.0 - y) * _softplus(z64)
    return z.dtype.type(loss.mean())


def _grad_ref(z, labels, pos_weight, d):
    z64 = z.astype(np.float64)[:, 0]
    y = labels.astype(np.float64)
    s = 1.0 / (1.0 + np.exp(-z64))
    # d/dz: pos_weight * y * (sigmoid(z) - 1) + (1 - y) * sigmoid(z)
    g = float(pos_weight) * y * (s - 1.0) + (1.0 - y) * s
    return (g * (float(d) / len(labels)))[:, None].astype(z.dtype)


register(OpDef(
    "bce_logits", _scalar_like, _ref,
    vjp=lambda g, n, ct: [g.add("bce_logits_grad", *n.inputs, ct[0]), None, None],
    doc="mean binary cross-entropy of logits [B, 1] against labels 0/1 [B], with pos_weight"))
register(OpDef("bce_logits_grad", lambda types, attrs: [types[0]], _grad_ref,
               doc="(pos_weight y (sigmoid(z) - 1) + (1 - y) sigmoid(z)) * d / B"))
register(OpDef(
    "count_correct_binary", lambda types, attrs: [TensorType((), "int64")],
    lambda z, labels: np.int64(((z[:, 0] > 0) == (labels == 1)).sum()),
    doc="number of rows whose prediction (logit > 0) equals the label"))
