"""Convolution and pooling over NCHW (rank 4) and NCW (rank 3) tensors.

One implementation serves 1-D and 2-D: a rank-3 tensor [B, C, L] is handled as [B, C, 1, L]
(kernel height 1, stride 1, no padding on the dummy axis), in the references and in the kernels
(where it is a free `reshape` view). Attributes are per spatial axis:
  stride   (s,) or (sh, sw)
  padding  ((lo, hi),) or ((lo, hi), (lo, hi)): zeros added before / after each spatial axis
           (asymmetric so that `same` works for even kernels: the extra row goes after, as in TF)
  kernel   (k,) or (kh, kw)          conv_grad_weight only (the weight shape it produces)
  in_size  (L,) or (H, W)            ops producing an input cotangent (the forward's input size)
  size     (k,) or (kh, kw)          pooling window
Output size per axis: floor((L + lo + hi - k) / s) + 1.

How a target computes them is its own: the Numba CPU kernels (im2col + sgemm per sample,
the measurements behind that choice) are in lower/cpu/emitters/conv.py.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..types import TensorType
from . import OpDef, register



# -- shapes -----------------------------------------------------------------------------------
def out_size(n: int, k: int, s: int, lo: int, hi: int) -> int:
    return (n + lo + hi - k) // s + 1


def _spatial(t: TensorType, what: str) -> tuple:
    if t.rank not in (3, 4):
        raise ValueError(f"{what} wants a [B, C, L] or [B, C, H, W] tensor, got {t}")
    return tuple(t.shape[2:])


def _check_attrs(n: int, **attrs) -> None:
    for key, value in attrs.items():
        if len(value) != n:
            raise ValueError(f"attribute {key}={value} has {len(value)} entries for {n} "
                             "spatial axes")


def _out_dims(spatial, kernel, stride, padding, what):
    dims = []
    for n, k, s, (lo, hi) in zip(spatial, kernel, stride, padding):
        o = out_size(int(n), k, s, lo, hi)
        if o < 1:
            raise ValueError(f"{what}: window {k} does not fit in size {n} with padding "
                             f"({lo}, {hi})")
        dims.append(o)
    return tuple(dims)


def _conv_infer(types, attrs):
    x, w = types
    sp = _spatial(x, "conv")
    _check_attrs(len(sp), stride=attrs["stride"], padding=attrs["padding"])
    if w.rank != x.rank or w.shape[1] != x.shape[1]:
        raise ValueError(f"conv weight {w} does not match input {x} (want [F, C, *kernel])")
    out = _out_dims(sp, w.shape[2:], attrs["stride"], attrs["padding"], "conv")
    return [TensorType((x.shape[0], w.shape[0]) + out, x.dtype)]


def _conv_gi_infer(types, attrs):
    dy, w = types
    in_size = tuple(attrs["in_size"])
    _check_attrs(dy.rank - 2, stride=attrs["stride"], padding=attrs["padding"], in_size=in_size)
    want = _out_dims(in_size, w.shape[2:], attrs["stride"], attrs["padding"], "conv_grad_input")
    if tuple(dy.shape[2:]) != want or dy.shape[1] != w.shape[0]:
        raise ValueError(f"conv_grad_input: cotangent {dy} does not fit weight {w} and input "
                         f"size {list(in_size)}")
    return [TensorType((dy.shape[0], w.shape[1]) + in_size, dy.dtype)]


def _conv_gw_infer(types, attrs):
    x, dy = types
    kernel = tuple(attrs["kernel"])
    sp = _spatial(x, "conv_grad_weight")
    _check_attrs(len(sp), stride=attrs["stride"], padding=attrs["padding"], kernel=kernel)
    if tuple(dy.shape[2:]) != _out_dims(sp, kernel, attrs["stride"], attrs["padding"], "conv"):
        raise ValueError(f"conv_grad_weight: cotangent {dy} does not match input {x}")
    return [TensorType((dy.shape[1], x.shape[1]) + kernel, x.dtype)]


def _pool_infer(types, attrs):
    (x,) = types
    sp = _spatial(x, "pool")
    _check_attrs(len(sp), size=attrs["size"], stride=attrs["stride"])
    out = _out_dims(sp, attrs["size"], attrs["stride"], ((0, 0),) * len(sp), "pool")
    return [TensorType(tuple(x.shape[:2]) + out, x.dtype)]


def _avgpool_grad_infer(types, attrs):
    (dy,) = types
    in_size = tuple(attrs["in_size"])
    return [TensorType(tuple(dy.shape[:2]) + in_size, dy.dtype)]


# -- numpy references (the test oracle): 1-D lifted to 2-D, float64 inside -------------------
def _lift(a):
    return a[:, :, None, :] if a.ndim == 3 else a


def _lift_attr(v, fill):
    return (fill,) + tuple(v) if len(v) == 1 else tuple(v)


def _windows(x4, kernel, stride, padding):
    """[B, C, Ho, Wo, kh, kw] receptive fields of the zero-padded input."""
    xp = np.pad(x4.astype(np.float64), ((0, 0), (0, 0)) + tuple(tuple(p) for p in padding))
    win = sliding_window_view(xp, tuple(kernel), axis=(2, 3))
    return win[:, :, ::stride[0], ::stride[1]]


def _conv_ref(x, w, *, stride, padding):
    st, pd = _lift_attr(stride, 1), _lift_attr(padding, (0, 0))
    w4 = _lift(w).astype(np.float64)
    win = _windows(_lift(x), w4.shape[2:], st, pd)
    y = np.tensordot(win, w4, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    return _unlift(y, x.ndim).astype(x.dtype)


def _conv_gw_ref(x, dy, *, stride, padding, kernel):
    st, pd, ks = _lift_attr(stride, 1), _lift_attr(padding, (0, 0)), _lift_attr(kernel, 1)
    win = _windows(_lift(x), ks, st, pd)
    dw = np.tensordot(_lift(dy).astype(np.float64), win, axes=([0, 2, 3], [0, 2, 3]))
    return (dw[:, :, 0, :] if x.ndim == 3 else dw).astype(x.dtype)


def _conv_gi_ref(dy, w, *, stride, padding, in_size):
    st, pd, size = _lift_attr(stride, 1), _lift_attr(padding, (0, 0)), _lift_attr(in_size, 1)
    dy4, w4 = _lift(dy).astype(np.float64), _lift(w).astype(np.float64)
    b, _, ho, wo = dy4.shape
    kh, kw = w4.shape[2:]
    dwin = np.tensordot(dy4, w4, axes=([1], [0]))           # [B, Ho, Wo, C, kh, kw]
    (lh, hh), (lw, hw) = pd
    dxp = np.zeros((b, w4.shape[1], size[0] + lh + hh, size[1] + lw + hw))
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + st[0] * (ho - 1) + 1:st[0], j:j + st[1] * (wo - 1) + 1:st[1]] += \
                dwin[..., i, j].transpose(0, 3, 1, 2)
    dx = dxp[:, :, lh:lh + size[0], lw:lw + size[1]]
    return np.ascontiguousarray(dx[:, :, 0, :] if dy.ndim == 3 else dx).astype(dy.dtype)


def _unlift(a, ndim):
    return np.ascontiguousarray(a[:, :, 0, :] if ndim == 3 else a)


def _maxpool_ref(x, *, size, stride):
    win = _windows(_lift(x), _lift_attr(size, 1), _lift_attr(stride, 1), ((0, 0), (0, 0)))
    return _unlift(win.max(axis=(4, 5)), x.ndim).astype(x.dtype)


def _maxpool_grad_ref(x, dy, *, size, stride):
    ks, st = _lift_attr(size, 1), _lift_attr(stride, 1)
    win = _windows(_lift(x), ks, st, ((0, 0), (0, 0)))
    b, c, ho, wo = win.shape[:4]
    first = win.reshape(b, c, ho, wo, -1).argmax(axis=4)    # ties: the first in row-major order
    dy4 = _lift(dy).astype(np.float64)
    dx = np.zeros(_lift(x).shape)
    for i in range(ks[0]):
        for j in range(ks[1]):
            hit = first == i * ks[1] + j
            dx[:, :, i:i + st[0] * (ho - 1) + 1:st[0], j:j + st[1] * (wo - 1) + 1:st[1]] += \
                np.where(hit, dy4, 0.0)
    return _unlift(dx, x.ndim).astype(x.dtype)


def _avgpool_ref(x, *, size, stride):
    win = _windows(_lift(x), _lift_attr(size, 1), _lift_attr(stride, 1), ((0, 0), (0, 0)))
    return _unlift(win.mean(axis=(4, 5)), x.ndim).astype(x.dtype)


def _avgpool_grad_ref(dy, *, size, stride, in_size):
    ks, st, sz = _lift_attr(size, 1), _lift_attr(stride, 1), _lift_attr(in_size, 1)
    dy4 = _lift(dy).astype(np.float64) / (ks[0] * ks[1])
    b, c, ho, wo = dy4.shape
    dx = np.zeros((b, c) + sz)
    for i in range(ks[0]):
        for j in range(ks[1]):
            dx[:, :, i:i + st[0] * (ho - 1) + 1:st[0], j:j + st[1] * (wo - 1) + 1:st[1]] += dy4
    return _unlift(dx, dy.ndim).astype(dy.dtype)


# -- VJPs --------------------------------------------------------------------------------------
def _conv_vjp(g, n, ct):
    x, w = n.inputs
    attrs = dict(stride=n.attrs["stride"], padding=n.attrs["padding"])
    dx = g.add("conv_grad_input", ct[0], w, in_size=tuple(x.shape[2:]), **attrs)
    dw = g.add("conv_grad_weight", x, ct[0], kernel=tuple(w.shape[2:]), **attrs)
    return [dx, dw]   # dx of the model's input batch is dropped by dead-code elimination


register(OpDef("conv", _conv_infer, _conv_ref, vjp=_conv_vjp,
               doc="cross-correlation of x [B, C, *S] with w [F, C, *K] -> [B, F, *S_out]"))
register(OpDef("conv_grad_input", _conv_gi_infer, _conv_gi_ref,
               doc="d conv / d x: col2im(W^T @ dy) (transposed convolution)"))
register(OpDef("conv_grad_weight", _conv_gw_infer, _conv_gw_ref,
               doc="d conv / d w: sum over the batch of dy @ im2col(x)^T"))

register(OpDef(
    "maxpool", _pool_infer, _maxpool_ref,
    vjp=lambda g, n, ct: [g.add("maxpool_grad", n.inputs[0], ct[0], **n.attrs)],
    doc="max over windows `size` moved by `stride` (no padding)"))
register(OpDef(
    "maxpool_grad", lambda types, attrs: [types[0]], _maxpool_grad_ref,
    doc="routes each window's cotangent to its first maximum"))
register(OpDef(
    "avgpool", _pool_infer, _avgpool_ref,
    vjp=lambda g, n, ct: [g.add("avgpool_grad", ct[0], in_size=tuple(n.inputs[0].shape[2:]),
                                **n.attrs)],
    doc="mean over windows `size` moved by `stride` (no padding)"))
register(OpDef(
    "avgpool_grad", _avgpool_grad_infer, _avgpool_grad_ref,
    doc="spreads each window's cotangent evenly over the window"))
