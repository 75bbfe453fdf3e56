"""int8 inference ops for `quantize { method = int8 }` (compiler/quantize.py rewrites the
prediction graph with them). Symmetric quantisation: q = clip(round_half_even(x / s), -127,
127), so zero is exactly 0 and no zero points enter the sums.

  quantize_i8(x, s)          float32 -> int8, s a float32 [1] scale (the calibrated input's)
  matmul_i8(a, wt)           int8 [B, K] x int8 [N, K] (the weight stored transposed, so
                             both operands run along K) -> int32 [B, N], exact int32 sums
  conv_i8(a, w)              int8 [B, C, *in] x int8 [F, C, *k] -> int32 [B, F, *out], as conv
  dequantize(acc, s, ws)     int32 -> float32: acc * s * ws[c], c the channel axis `axis`
                             (1: a conv's filters, -1: a dense layer's units), ws [C]
"""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register
from .conv import _conv_infer, _lift, _lift_attr, _unlift, _windows

QMAX = 127


def quantize_values(x: np.ndarray, scale: float) -> np.ndarray:
    """The int8 codes of x for one scale (numpy's rint is round-half-even, as ONNX's
    QuantizeLinear)."""
    return np.clip(np.rint(x.astype(np.float64) / float(scale)), -QMAX, QMAX).astype(np.int8)


def _q_infer(types, attrs):
    return [TensorType(types[0].shape, "int8")]


def _mm_infer(types, attrs):
    a, wt = types
    if a.rank != 2 or wt.rank != 2 or a.shape[1] != wt.shape[1]:
        raise ValueError(f"matmul_i8: {a} by {wt} (want [B, K] and [N, K])")
    return [TensorType((a.shape[0], wt.shape[0]), "int32")]


def _conv_i8_ref(x, w, *, stride, padding):
    st, pd = _lift_attr(stride, 1), _lift_attr(padding, (0, 0))
    w4 = _lift(w).astype(np.int64)
    win = _windows(_lift(x).astype(np.int64), w4.shape[2:], st, pd)
    y = np.tensordot(win, w4, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    return _unlift(y, x.ndim).astype(np.int32)


def _dequantize_ref(acc, s, ws, *, axis):
    shape = [1] * acc.ndim
    shape[axis] = -1
    scale = (np.float64(np.asarray(s).reshape(-1)[0]) * ws.astype(np.float64)).reshape(shape)
    return (acc.astype(np.float64) * scale).astype(np.float32)


register(OpDef("quantize_i8", _q_infer,
               lambda x, s: quantize_values(x, np.asarray(s).reshape(-1)[0]),
               doc="float32 to int8 codes: clip(round(x / s), -127, 127)"))
register(OpDef("matmul_i8", _mm_infer,
               lambda a, wt: (a.astype(np.int64) @ wt.astype(np.int64).T).astype(np.int32),
               doc="int8 [B, K] by int8 [N, K] (transposed weight) with int32 sums"))
register(OpDef("conv_i8", lambda types, attrs: [TensorType(_conv_infer(types, attrs)[0].shape,
                                                           "int32")],
               _conv_i8_ref, doc="int8 convolution with int32 sums (conv's geometry)"))
register(OpDef("dequantize", lambda types, attrs: [TensorType(types[0].shape, "float32")],
               _dequantize_ref, doc="int32 sums to float32: acc * s * ws[channel]"))
