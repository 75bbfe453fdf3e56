"""Weight penalties, gradient clipping and the max-norm constraint (compiler/regularize.py
builds them into the training step).

  l1l2_penalty       l1 * sum|w| + l2 * sum w^2 (Keras' L1L2), a scalar added to the loss
                     that autodiff differentiates; its VJP is l1l2_penalty_grad
  clip_norm_coef     torch.nn.utils.clip_grad_norm_'s factor over every gradient:
                     min(1, max_norm / (total_norm + 1e-6))
  clip_scale         a gradient times that factor
  clip_value         a gradient clamped to [-c, c] (clip_grad_value_)
  max_norm           after an update, each output unit's incoming weights rescaled to norm
                     <= c, as Keras' MaxNorm: w * clip(n, 0, c) / (1e-7 + n)
Every coefficient is a run-time input (a float64 "hyper"), rounded to float32 where the
kernels round it.
"""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register
from .elementwise import _infer
from .formula import const, maximum, minimum, to_f32, where

NORM_EPS = 1e-6       # torch's clip_grad_norm_
MAX_NORM_EPS = 1e-7   # Keras' backend epsilon, in MaxNorm


def penalty_value(w, l1, l2) -> float:
    """l1 * sum|w| + l2 * sum w^2 in float64: the reference, and what the runtime reports."""
    w64 = np.asarray(w, np.float64)
    return float(l1) * float(np.abs(w64).sum()) + float(l2) * float((w64 * w64).sum())


def _penalty_grad_ref(w, d, l1, l2):
    l1, l2x2 = np.float32(float(l1)), np.float32(2.0 * float(l2))
    return (np.float32(d) * (l1 * np.sign(w) + l2x2 * w)).astype(w.dtype)


def _penalty_grad_formula(x, at, flat):
    w, d, l1, l2 = x
    sign = where(w > 0.0, 1.0, where(-w > 0.0, -1.0, 0.0))
    return d * (to_f32(l1) * sign + to_f32(const(2.0, "f64") * l2) * w)


register(OpDef(
    "l1l2_penalty", lambda types, attrs: [TensorType((), types[0].dtype)],
    lambda w, l1, l2: w.dtype.type(penalty_value(w, l1, l2)),
    vjp=lambda g, n, ct: [g.add("l1l2_penalty_grad", n.inputs[0], ct[0], *n.inputs[1:]),
                          None, None],
    doc="inputs (weight, l1, l2): l1 * sum|w| + l2 * sum w^2, a scalar",
))
register(OpDef(
    "l1l2_penalty_grad", _infer, _penalty_grad_ref, formula=_penalty_grad_formula,
    doc="inputs (weight, d, l1, l2): d * (l1 * sign(w) + 2 * l2 * w)",
))


def _clip_coef_ref(*inputs):
    *grads, max_norm = inputs
    total = np.sqrt(sum(float((np.asarray(g, np.float64) ** 2).sum()) for g in grads))
    return np.float32(min(1.0, float(max_norm) / (total + NORM_EPS)))


register(OpDef(
    "clip_norm_coef", lambda types, attrs: [TensorType((), "float32")], _clip_coef_ref,
    doc="inputs (grad_1, ..., grad_n, max_norm): min(1, max_norm / (||all grads||_2 + 1e-6))",
))
register(OpDef(
    "clip_scale", _infer, lambda g, c: (g * np.float32(c)).astype(g.dtype),
    formula=lambda x, at, flat: x[0] * x[1],
    doc="inputs (grad, factor [0-d float32]): the gradient times the clipping factor",
))
register(OpDef(
    "clip_value", _infer,
    lambda g, c: np.clip(g, -np.float32(float(c)), np.float32(float(c))).astype(g.dtype),
    formula=lambda x, at, flat: maximum(minimum(x[0], to_f32(x[1])), -to_f32(x[1])),
    doc="inputs (grad, clip_value): the gradient clamped to [-c, c]",
))


def max_norm_factors(w, c, out_axis: int) -> np.ndarray:
    """float32 factors, one per output unit: clip(n, 0, c) / (1e-7 + n), n the float64 norm
    of the unit's incoming weights (every axis but `out_axis`)."""
    axes = tuple(a for a in range(w.ndim) if a != out_axis)
    n = np.sqrt((np.asarray(w, np.float64) ** 2).sum(axis=axes))
    return (np.minimum(n, float(c)) / (MAX_NORM_EPS + n)).astype(np.float32)


def _max_norm_ref(w, c, *, out_axis):
    shape = [1] * w.ndim
    shape[out_axis] = w.shape[out_axis]
    w *= max_norm_factors(w, c, out_axis).reshape(shape)


register(OpDef(
    "max_norm", lambda types, attrs: [], _max_norm_ref, effect=True,
    doc="inputs (weight, c); attr out_axis: each output unit's incoming weights rescaled in "
        "place to norm <= c (Keras' MaxNorm)",
))
