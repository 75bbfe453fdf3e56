"""Max-pool winners: a convolution's backward pass fed by the pooling windows' maxima only.

Behind a max-pool, the gradient of a convolution's output is zero except at each window's first
maximum. The dense backward (conv_grad_weight, conv_grad_input) multiplies every zero: with 2x2
pooling, 3 of every 4 products. lower/cpu/passes/winners.py replaces
    d = maxpool_grad(y, dp)  [or maxpool_relu_grad]
    conv_grad_weight(x, d), conv_grad_input(d, w), reduce_sum(d) over all but the channel axis
by
    pos, g = maxpool_winners(y, dp)          one (position, gradient) pair per window
    conv_grad_weight_winners(x, pos, g), conv_grad_input_winners(pos, g, w), reduce_sum(g)
which never build d. `pos` is the flat index of the window's first maximum in its plane of y
(1-D lifted to 2-D: row * W + column), so `densify(pos, g)` is d, and each winner op's reference
is the dense op's reference applied to it: the interpreter checks the rewrite like any other.
They exist after autodiff only, so they need no VJP. CPU kernels: lower/cpu/emitters/winners.py.
"""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register
from .conv import _conv_gi_infer, _conv_gi_ref, _conv_gw_infer, _conv_gw_ref, _lift, _lift_attr, \
    _pool_infer, _windows


def densify(pos, g, out_size) -> np.ndarray:
    """The dense gradient [B, C, *out_size] the (position, gradient) pairs stand for."""
    b, c = g.shape[:2]
    dense = np.zeros((b, c, int(np.prod(out_size))))
    planes = np.arange(b * c)[:, None]
    flat = dense.reshape(b * c, -1)
    np.add.at(flat, (np.broadcast_to(planes, (b * c, pos[0, 0].size)), pos.reshape(b * c, -1)),
              g.reshape(b * c, -1).astype(np.float64))
    return dense.reshape((b, c) + tuple(out_size)).astype(g.dtype)


def _winners_infer(types, attrs):
    x, dy = types
    (pooled,) = _pool_infer([x], attrs)
    if tuple(dy.shape) != tuple(pooled.shape):
        raise ValueError(f"maxpool_winners: cotangent {dy} does not match the pooling of {x}")
    return [TensorType(pooled.shape, "int64"), TensorType(pooled.shape, dy.dtype)]


def _winners_ref(x, dy, *, size, stride, relu):
    ks, st = _lift_attr(size, 1), _lift_attr(stride, 1)
    x4 = _lift(x)
    win = _windows(x4, ks, st, ((0, 0), (0, 0)))
    b, c, ho, wo = win.shape[:4]
    flat = win.reshape(b, c, ho, wo, -1)
    first = flat.argmax(axis=4)                     # ties: the first in row-major order
    row = np.arange(ho)[:, None] * st[0] + first // ks[1]
    col = np.arange(wo)[None, :] * st[1] + first % ks[1]
    pos = (row * x4.shape[3] + col).reshape(dy.shape).astype(np.int64)
    g = dy
    if relu:                                        # a window whose maximum is 0 passes nothing
        g = np.where(flat.max(axis=4).reshape(dy.shape) > 0, dy, 0)
    return pos, g.astype(dy.dtype)


register(OpDef(
    "maxpool_winners", _winners_infer, _winners_ref,
    doc="each pooling window's first maximum in y (flat index in its plane) and cotangent, "
        "zeroed when relu and the maximum is not positive (built by the CPU pass lower/cpu/passes/winners.py)"))


def _dense_shape(g: TensorType, channels, out_size) -> TensorType:
    return TensorType((g.shape[0], channels) + tuple(out_size), g.dtype)


def _gw_winners_infer(types, attrs):
    x, pos, g = types
    dy = _dense_shape(g, g.shape[1], attrs["out_size"])
    return _conv_gw_infer([x, dy], {k: attrs[k] for k in ("stride", "padding", "kernel")})


def _gw_winners_ref(x, pos, g, *, stride, padding, kernel, out_size):
    return _conv_gw_ref(x, densify(pos, g, out_size), stride=stride, padding=padding,
                        kernel=kernel)


register(OpDef(
    "conv_grad_weight_winners", _gw_winners_infer, _gw_winners_ref,
    doc="conv_grad_weight(x, densify(pos, g)): each window's gradient times its receptive "
        "field (built by the CPU pass lower/cpu/passes/winners.py)"))


def _gi_winners_infer(types, attrs):
    pos, g, w = types
    dy = _dense_shape(g, w.shape[0], attrs["out_size"])
    return _conv_gi_infer([dy, w], {k: attrs[k] for k in ("stride", "padding", "in_size")})


def _gi_winners_ref(pos, g, w, *, stride, padding, in_size, out_size):
    return _conv_gi_ref(densify(pos, g, out_size), w, stride=stride, padding=padding,
                        in_size=in_size)


register(OpDef(
    "conv_grad_input_winners", _gi_winners_infer, _gi_winners_ref,
    doc="conv_grad_input(densify(pos, g), w): each window's gradient times its filter, added "
        "over the window's receptive field (built by the CPU pass lower/cpu/passes/winners.py)"))
