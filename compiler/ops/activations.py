"""Activations beyond relu / leaky_relu / sigmoid / tanh (elementwise.py), as PyTorch defines
them (torch.nn.functional), each an elementwise formula with a gradient op of its own.

A gradient op reads the output y where the derivative is a function of y (elu, selu,
hard_sigmoid, as relu does, so the pre-activation buffer can be fused away) and the input x
where it is not (gelu, silu, softplus, mish). Numeric options (elu's alpha, softplus' beta and
threshold) are run-time inputs: float64 scalars the formulas round to float32 (`to_f32`) and
the references with `np.float32`, so both compute what a float32 literal would.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import erf as _erf

from .elementwise import _ew
from .formula import const, erf, exp, expm1, log1p, maximum, minimum, tanh, to_f32, where

SQRT1_2 = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# torch.nn.SELU's constants (Klambauer et al. 2017)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _f32(v) -> np.float32:
    return np.float32(float(v))


def _same(a, out):
    return np.asarray(out).astype(a.dtype, copy=False)


def _negative_expm1(a):
    # expm1 only where it is used: np.where evaluates both sides, and expm1 of a large
    # positive element would overflow (a warning, then discarded)
    return np.expm1(np.minimum(a, 0))


# -- gelu: x * Phi(x), the exact erf form (torch's approximate = "none") ----------------------
_ew("gelu", lambda a, **_: _same(a, a * 0.5 * (1 + _erf(a * SQRT1_2))),
    lambda x, at, flat: x[0] * 0.5 * (1.0 + erf(x[0] * SQRT1_2)),
    vjp=lambda g, n, ct: [g.add("gelu_grad", n.inputs[0], ct[0])])
_ew("gelu_grad",
    lambda x, d, **_: _same(d, d * (0.5 * (1 + _erf(x * SQRT1_2))
                                    + x * INV_SQRT_2PI * np.exp(-0.5 * x * x))),
    lambda x, at, flat: x[1] * (0.5 * (1.0 + erf(x[0] * SQRT1_2))
                                + x[0] * INV_SQRT_2PI * exp(-0.5 * x[0] * x[0])))

# -- elu(x, alpha) and selu (elu with SELU's alpha, times its scale): dy/dx = y + alpha*scale
# on the negative side, so the gradient reads y (as torch's elu_backward with is_result)
_ew("elu",
    lambda a, alpha: _same(a, np.where(a > 0, a, _f32(alpha) * _negative_expm1(a))),
    lambda x, at, flat: where(x[0] > 0.0, x[0], to_f32(x[1]) * expm1(x[0])),
    vjp=lambda g, n, ct: [g.add("elu_grad", n.outputs[0], ct[0], n.inputs[1]), None])
_ew("elu_grad",
    lambda y, d, alpha: _same(d, np.where(y > 0, d, d * (y + _f32(alpha)))),
    lambda x, at, flat: where(x[0] > 0.0, x[1], x[1] * (x[0] + to_f32(x[2]))))

_ew("selu",
    lambda a, **_: _same(a, SELU_SCALE * np.where(a > 0, a, SELU_ALPHA * _negative_expm1(a))),
    lambda x, at, flat: SELU_SCALE * where(x[0] > 0.0, x[0], SELU_ALPHA * expm1(x[0])),
    vjp=lambda g, n, ct: [g.add("selu_grad", n.outputs[0], ct[0])])
_ew("selu_grad",
    lambda y, d, **_: _same(d, np.where(y > 0, d * SELU_SCALE,
                                        d * (y + SELU_SCALE * SELU_ALPHA))),
    lambda x, at, flat: where(x[0] > 0.0, x[1] * SELU_SCALE,
                              x[1] * (x[0] + SELU_SCALE * SELU_ALPHA)))

# -- silu (swish): x * sigmoid(x) ------------------------------------------------------------
_ew("silu", lambda a, **_: _same(a, a / (1 + np.exp(-a))),
    lambda x, at, flat: x[0] / (1.0 + exp(-x[0])),
    vjp=lambda g, n, ct: [g.add("silu_grad", n.inputs[0], ct[0])])


def _silu_grad_ref(x, d, **_):
    s = 1 / (1 + np.exp(-x))
    return _same(d, d * s * (1 + x * (1 - s)))


def _silu_grad_formula(x, at, flat):
    s = 1.0 / (1.0 + exp(-x[0]))
    return x[1] * s * (1.0 + x[0] * (1.0 - s))


_ew("silu_grad", _silu_grad_ref, _silu_grad_formula)


# -- softplus(x, beta, threshold): log(1 + exp(beta x)) / beta, and x itself where
# beta x > threshold (torch's numerical-stability switch, so the output is exactly linear there)
def _softplus_ref(a, beta, threshold):
    b, t = _f32(beta), _f32(threshold)
    bx = a * b
    with np.errstate(over="ignore"):            # exp overflows only where x is taken instead
        soft = np.log1p(np.exp(bx)) / b
    return _same(a, np.where(bx > t, a, soft))


def _softplus_formula(x, at, flat):
    bx = x[0] * to_f32(x[1])
    return where(bx > to_f32(x[2]), x[0], log1p(exp(bx)) / to_f32(x[1]))


def _softplus_grad_ref(x, d, beta, threshold):
    bx = x * _f32(beta)
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.exp(bx)
        soft = d * z / (z + 1)
    return _same(d, np.where(bx > _f32(threshold), d, soft))


def _softplus_grad_formula(x, at, flat):
    bx = x[0] * to_f32(x[2])
    z = exp(bx)
    return where(bx > to_f32(x[3]), x[1], x[1] * z / (z + 1.0))


_ew("softplus", _softplus_ref, _softplus_formula,
    vjp=lambda g, n, ct: [g.add("softplus_grad", n.inputs[0], ct[0], *n.inputs[1:]), None, None])
_ew("softplus_grad", _softplus_grad_ref, _softplus_grad_formula)


# -- mish: x * tanh(softplus(x)) (no threshold, as torch's mish kernel) ----------------------
def _mish_grad_ref(x, d, **_):
    with np.errstate(over="ignore"):
        t = np.tanh(np.log1p(np.exp(x)))
    s = 1 / (1 + np.exp(-x))
    return _same(d, d * (t + x * s * (1 - t * t)))


def _mish_grad_formula(x, at, flat):
    t = tanh(log1p(exp(x[0])))
    s = 1.0 / (1.0 + exp(-x[0]))
    return x[1] * (t + x[0] * s * (1.0 - t * t))


def _mish_ref(a, **_):
    with np.errstate(over="ignore"):            # exp(x) = inf for large x: tanh(inf) = 1
        return _same(a, a * np.tanh(np.log1p(np.exp(a))))


_ew("mish", _mish_ref, lambda x, at, flat: x[0] * tanh(log1p(exp(x[0]))),
    vjp=lambda g, n, ct: [g.add("mish_grad", n.inputs[0], ct[0])])
_ew("mish_grad", _mish_grad_ref, _mish_grad_formula)

# -- hard_sigmoid: relu6(x + 3) / 6 (torch.nn.Hardsigmoid); slope 1/6 on (-3, 3), else 0.
# NOTE: the gradient reads y: 0 < y < 1 exactly where -3 < x < 3, except within an ulp of
# x = 3, where x + 3 rounds to 6 in float32 and the slope taken is 0 (torch's, from x, 1/6).
_ew("hard_sigmoid",
    lambda a, **_: _same(a, np.minimum(np.maximum(a + 3, 0), 6) / 6),
    lambda x, at, flat: minimum(maximum(x[0] + 3.0, 0.0), 6.0) / 6.0,
    vjp=lambda g, n, ct: [g.add("hard_sigmoid_grad", n.outputs[0], ct[0])])
_ew("hard_sigmoid_grad",
    lambda y, d, **_: _same(d, np.where((y > 0) & (y < 1), d * (1 / 6), 0)),
    lambda x, at, flat: where(x[0] > 0.0, where(const(1.0) > x[0], x[1] * (1.0 / 6.0), 0.0),
                              0.0))
