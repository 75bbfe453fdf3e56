"""Elementwise ops: one formula each (ops/formula.py), so the fusion pass can merge neighbours.

`formula(args, attrs, flat)` returns the expression tree of one output element given the
expressions of its inputs' elements and of the element's flat index; each target renders it.
Numeric options (leaky_relu's alpha, dropout's rate) are inputs: float64 scalars of role
"hyper", so changing them compiles nothing. The references round them to float32 where the
kernels do, so both compute what a literal of the same value did.
"""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, broadcast_types, register
from .formula import call, const, exp, maximum, tanh, to_f32, where
from .rng import keep_mask


def _infer(types, attrs):
    return [broadcast_types([t for t in types if t.rank > 0] or types[:1])]


def unbroadcast(g, grad, like: TensorType):
    """Sum a cotangent over the axes that broadcasting expanded, back to `like`'s shape."""
    if grad.shape == like.shape:
        return grad
    extra = grad.type.rank - like.rank
    axes = tuple(range(extra)) + tuple(
        extra + i for i, d in enumerate(like.shape) if d == 1 and grad.shape[extra + i] != 1)
    out = g.add("reduce_sum", grad, axes=axes)
    if out.shape != like.shape:
        out = g.add("reshape", out, shape=tuple(like.shape))
    return out


def _ew(name, reference, formula, vjp=None, doc=""):
    register(OpDef(name, _infer, reference, vjp=vjp, formula=formula, doc=doc))


# -- arithmetic -----------------------------------------------------------------------------
_ew("add", lambda a, b, **_: a + b, lambda x, at, flat: x[0] + x[1],
    vjp=lambda g, n, ct: [unbroadcast(g, ct[0], n.inputs[0].type),
                          unbroadcast(g, ct[0], n.inputs[1].type)])

_ew("scale", lambda a, *, factor: (a * np.float32(factor)).astype(a.dtype),
    lambda x, at, flat: x[0] * at['factor'],
    vjp=lambda g, n, ct: [g.add("scale", ct[0], factor=n.attrs["factor"])])

# -- activations: derivatives are written in terms of the output y, which the forward pass
# keeps anyway, so the pre-activation buffer can be fused away.
_ew("relu", lambda a, **_: np.maximum(a, 0).astype(a.dtype),
    lambda x, at, flat: maximum(x[0], 0.0),
    vjp=lambda g, n, ct: [g.add("relu_grad", n.outputs[0], ct[0])])
_ew("relu_grad", lambda y, d, **_: np.where(y > 0, d, 0).astype(d.dtype),
    lambda x, at, flat: where(x[0] > 0.0, x[1], 0.0))

# leaky_relu(x, alpha), leaky_relu_grad(y, d, alpha): alpha is a run-time input
_ew("leaky_relu",
    lambda a, alpha: np.where(a > 0, a, a * np.float32(float(alpha))).astype(a.dtype),
    lambda x, at, flat: where(x[0] > 0.0, x[0], x[0] * to_f32(x[1])),
    vjp=lambda g, n, ct: [g.add("leaky_relu_grad", n.outputs[0], ct[0], n.inputs[1]), None])
_ew("leaky_relu_grad",
    lambda y, d, alpha: np.where(y > 0, d, d * np.float32(float(alpha))).astype(d.dtype),
    lambda x, at, flat: where(x[0] > 0.0, x[1], x[1] * to_f32(x[2])))

_ew("sigmoid", lambda a, **_: (1 / (1 + np.exp(-a))).astype(a.dtype),
    lambda x, at, flat: 1.0 / (1.0 + exp(-x[0])),
    vjp=lambda g, n, ct: [g.add("sigmoid_grad", n.outputs[0], ct[0])])
_ew("sigmoid_grad", lambda y, d, **_: (d * y * (1 - y)).astype(d.dtype),
    lambda x, at, flat: x[1] * x[0] * (1.0 - x[0]))

_ew("tanh", lambda a, **_: np.tanh(a), lambda x, at, flat: tanh(x[0]),
    vjp=lambda g, n, ct: [g.add("tanh_grad", n.outputs[0], ct[0])])
_ew("tanh_grad", lambda y, d, **_: (d * (1 - y * y)).astype(d.dtype),
    lambda x, at, flat: x[1] * (1.0 - x[0] * x[0]))


# -- dropout: inputs (x, step, seed, rate); the mask is recomputed from the counter, never
# stored. Dropout is linear in x for a fixed mask, so its VJP is dropout of the cotangent.
# A rate of zero is structure (the layer adds no op); any other rate is a run-time input.
def _dropout_ref(x, step, seed, rate, *, salt):
    rate = float(rate)
    keep = keep_mask(int(seed), int(step), salt, x.shape, rate)
    return np.where(keep, x * np.float32(1.0 / (1.0 - rate)), 0).astype(x.dtype)


def _dropout_formula(x, at, flat):
    # x[1], x[2] are step and seed, x[3] the rate; the key, threshold and scale are
    # loop-invariant, so a compiler hoists them.
    key = call("dropout_key", x[2], x[1], const(at["salt"], "int"))
    keep = call("dropout_keep", key, flat, call("dropout_threshold", x[3]))
    one = const(1.0, "f64")
    return where(keep, x[0] * to_f32(one / (one - x[3])), 0.0)


_ew("dropout", _dropout_ref, _dropout_formula,
    vjp=lambda g, n, ct: [g.add("dropout", ct[0], *n.inputs[1:], **n.attrs), None, None, None],
    doc="inverted dropout with a counter-based mask")
