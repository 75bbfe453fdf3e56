"""Knowledge distillation's loss (Hinton, Vinyals & Dean 2015), for `distill { ... }`.

The labels input `y` is packed float32 [B, C + 1]: the teacher's softened probabilities
q = softmax(teacher_logits / T) in columns 0..C-1 and the class label in column C (exact in
float32 below 2^24 classes), so the step keeps its one labels input. With z the student's
logits, p = softmax(z), p_T = softmax(z / T):

    loss = mean_i [ alpha T^2 KL(q_i || p_T,i) + (1 - alpha) (-log p_i,y_i) ]
    d loss / d z_ij = [ alpha T (p_T,ij - q_ij) + (1 - alpha) (p_ij - [j = y_i]) ] / B

(the T^2 keeps the soft term's gradient on the scale of the hard one's as T changes). T and
alpha are run-time inputs (`distill.temperature`, `distill.alpha`): changing them compiles
nothing. `packed_labels` reads the label column back as int64 for the correct counts.
"""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register
from .losses import _scalar_like


def _log_softmax(x64):
    m = x64.max(axis=1, keepdims=True)
    return x64 - m - np.log(np.exp(x64 - m).sum(axis=1, keepdims=True))


def _parts(z, y, t):
    z64 = z.astype(np.float64)
    c = z.shape[1]
    q = y[:, :c].astype(np.float64)
    labels = y[:, c].astype(np.int64)
    return z64, q, labels, _log_softmax(z64), _log_softmax(z64 / float(t))


def _ref(z, y, t, alpha):
    z64, q, labels, logp, logpt = _parts(z, y, t)
    t, alpha = float(t), float(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(q > 0, q * (np.log(np.where(q > 0, q, 1.0)) - logpt), 0.0).sum(axis=1)
    hard = -logp[np.arange(len(labels)), labels]
    return z.dtype.type((alpha * t * t * kl + (1.0 - alpha) * hard).mean())


def _grad_ref(z, y, t, alpha, d):
    z64, q, labels, logp, logpt = _parts(z, y, t)
    t, alpha = float(t), float(alpha)
    hard = np.exp(logp)
    hard[np.arange(len(labels)), labels] -= 1.0
    g = alpha * t * (np.exp(logpt) - q) + (1.0 - alpha) * hard
    return (g * (float(d) / len(labels))).astype(z.dtype)


def _distill_infer(types, attrs):
    z, y = types[0], types[1]
    if len(z.shape) != 2 or len(y.shape) != 2 or y.shape[1] != z.shape[1] + 1:
        raise ValueError(f"distill_ce: packed targets {y} do not match logits {z} "
                         "(want [B, C + 1])")
    return _scalar_like(types, attrs)


register(OpDef(
    "distill_ce", _distill_infer, _ref,
    vjp=lambda g, n, ct: [g.add("distill_ce_grad", *n.inputs, ct[0]), None, None, None],
    doc="alpha T^2 KL(q || softmax(z/T)) + (1 - alpha) CE(z, label), mean over the batch; "
        "y packs q [B, C] and the label column"))
register(OpDef("distill_ce_grad", lambda types, attrs: [types[0]], _grad_ref,
               doc="the gradient of distill_ce times d"))
register(OpDef(
    "packed_labels", lambda types, attrs: [TensorType((types[0].shape[0],), "int64")],
    lambda y: y[:, -1].astype(np.int64),
    doc="the label column of packed distillation targets [B, C + 1], as int64 [B]"))
