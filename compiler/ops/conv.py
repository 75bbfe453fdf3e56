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

Convolutions lower to BLAS through im2col, one sample at a time: sample b's column matrix
cols[C*kh*kw, Ho*Wo] holds its receptive fields, and the forward is one sgemm
y[b] = W[F, C*kh*kw] @ cols[b], written straight into the NCHW output (its [F, Ho*Wo] view).
Under the default RECIPEC_THREADS=numba the loop over samples is a prange and each thread calls
a single-threaded sgemm.
Measured (Keras MNIST convnet shapes, 2-core AMD EPYC, OpenBLAS 0.3.31, ms per call at batch
64 / 128, best of 15): per-sample im2col + sgemm beat one batched column matrix
[C*kh*kw, B*Ho*Wo] with a single big sgemm for every op (conv2 forward 3.25 / 6.43 vs
3.96 / 8.41; dW 3.28 / 6.66 vs 3.97 / 7.52; dX 2.78 / 5.43 vs 3.50 / 7.40), because the
batched transposes stream 9 MB through memory while one sample's columns (139 KB) stay in L2;
a direct (no im2col) loop for conv1 (C*kh*kw = 9) was 2x slower still. The batched variant was
therefore removed. Whole CNN step, same run as PyTorch eager 2.13 (bench, quiet machine):
4,900 / 5,100 samples/s vs 3,700 / 3,700.
Backward: dW = sum_b dY[b] @ cols[b]^T (the columns are recomputed from x rather than kept from
the forward pass: they cost one memory pass, while keeping them would pin C*kh*kw*Ho*Wo floats
per sample per layer between the passes, and the inference graph never needs them); per-sample
partial products are summed over the batch in a fixed order with float64 accumulators (B
partial sums per weight; float64 so the sum's error does not grow with the batch). Not timed
on its own: conv2's whole dW (columns, B sgemms, this sum) costs about what its forward does.
dX = col2im(W^T @ dY[b]); col2im runs one thread per sample, so every element of dX has exactly
one writer and a fixed accumulation order: results do not depend on the thread count.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..ir import TensorType
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
               emit=lambda n, ctx: _conv_emit(n, ctx),
               doc="cross-correlation of x [B, C, *S] with w [F, C, *K] -> [B, F, *S_out]"))
register(OpDef("conv_grad_input", _conv_gi_infer, _conv_gi_ref,
               emit=lambda n, ctx: _conv_gi_emit(n, ctx),
               doc="d conv / d x: col2im(W^T @ dy) (transposed convolution)"))
register(OpDef("conv_grad_weight", _conv_gw_infer, _conv_gw_ref,
               emit=lambda n, ctx: _conv_gw_emit(n, ctx),
               doc="d conv / d w: sum over the batch of dy @ im2col(x)^T"))

register(OpDef(
    "maxpool", _pool_infer, _maxpool_ref, emit=lambda n, ctx: _maxpool_emit(n, ctx),
    vjp=lambda g, n, ct: [g.add("maxpool_grad", n.inputs[0], ct[0], **n.attrs)],
    doc="max over windows `size` moved by `stride` (no padding)"))
register(OpDef(
    "maxpool_grad", lambda types, attrs: [types[0]], _maxpool_grad_ref,
    emit=lambda n, ctx: _maxpool_grad_emit(n, ctx),
    doc="routes each window's cotangent to its first maximum"))
register(OpDef(
    "avgpool", _pool_infer, _avgpool_ref, emit=lambda n, ctx: _avgpool_emit(n, ctx),
    vjp=lambda g, n, ct: [g.add("avgpool_grad", ct[0], in_size=tuple(n.inputs[0].shape[2:]),
                                **n.attrs)],
    doc="mean over windows `size` moved by `stride` (no padding)"))
register(OpDef(
    "avgpool_grad", _avgpool_grad_infer, _avgpool_grad_ref,
    emit=lambda n, ctx: _avgpool_grad_emit(n, ctx),
    doc="spreads each window's cotangent evenly over the window"))


# -- Numba emission ----------------------------------------------------------------------------
class _Geom:
    """Concrete sizes of one conv/pool node, 1-D lifted to 2-D; names of 4-D views."""

    def __init__(self, n, ctx, x, y, kernel, stride, padding):
        self.tag = ctx.fresh("c").split("_")[1]
        xs, ys = ctx.shape(x), ctx.shape(y)
        self.rank = len(xs)
        self.B = xs[0]
        self.C, self.F = int(xs[1]), int(ys[1])
        self.H, self.W = (1, int(xs[2])) if self.rank == 3 else (int(xs[2]), int(xs[3]))
        self.HO, self.WO = (1, int(ys[2])) if self.rank == 3 else (int(ys[2]), int(ys[3]))
        self.KH, self.KW = _lift_attr(kernel, 1)
        self.SH, self.SW = _lift_attr(stride, 1)
        (self.PH, self.PHH), (self.PW, self.PWH) = _lift_attr(padding, (0, 0))
        self.CKK = self.C * self.KH * self.KW
        self.P = self.HO * self.WO
        self.lines: list[str] = []

    def v(self, name: str) -> str:
        return f"{name}_{self.tag}"

    def columns_key(self, x) -> tuple:
        """Identifies the im2col matrix of input `x` under this geometry."""
        return ("im2col", x.id, self.KH, self.KW, self.SH, self.SW, self.PH, self.PHH,
                self.PW, self.PWH)

    def view4(self, ctx, value, channels, h, w) -> str:
        """A [B, channels, h, w] name for `value` (a reshape view when it is rank 3)."""
        if self.rank == 4:
            return ctx.name(value)
        name = ctx.fresh("v4")
        self.lines.append(f"{name} = {ctx.name(value)}.reshape(({self.B}, {channels}, {h}, {w}))")
        return name


def _for(var, n):
    return f"for {var} in range({n}):"


def _im2col(gm, x4, b, target, pad):
    """Lines filling target(row, pos) with sample b's receptive fields (zeros in the padding)."""
    v = gm.v
    c, ki, kj, oh, ow, r, ih, iw, base = (v(s) for s in ("c", "ki", "kj", "oh", "ow", "r",
                                                        "ih", "iw", "base"))
    lines = [_for(c, gm.C), f"    {_for(ki, gm.KH)}", f"        {_for(kj, gm.KW)}",
             f"            {r} = ({c} * {gm.KH} + {ki}) * {gm.KW} + {kj}",
             f"            {_for(oh, gm.HO)}",
             f"                {ih} = {oh} * {gm.SH} + {ki} - {gm.PH}",
             f"                {base} = {oh} * {gm.WO}"]
    pad8 = " " * 16
    if gm.PH or gm.PHH:
        lines += [f"{pad8}if {ih} < 0 or {ih} >= {gm.H}:",
                  f"{pad8}    {_for(ow, gm.WO)}",
                  f"{pad8}        {target(r, f'{base} + {ow}')} = np.float32(0.0)",
                  f"{pad8}    continue"]
    lines += [f"{pad8}{_for(ow, gm.WO)}",
              f"{pad8}    {iw} = {ow} * {gm.SW} + {kj} - {gm.PW}"]
    src = f"{x4}[{b}, {c}, {ih}, {iw}]"
    if gm.PW or gm.PWH:
        src = f"({src} if {iw} >= 0 and {iw} < {gm.W} else np.float32(0.0))"
    lines.append(f"{pad8}    {target(r, f'{base} + {ow}')} = {src}")
    return [pad + ln for ln in lines]


def _col2im(gm, dx4, b, source, pad):
    """Lines setting dx4[b] = col2im(source(row, pos)); one writer per element, fixed order."""
    v = gm.v
    c, ki, kj, oh, ow, r, ih, iw, i, j = (v(s) for s in ("c", "ki", "kj", "oh", "ow", "r",
                                                        "ih", "iw", "i", "j"))
    lines = [_for(c, gm.C),
             f"    {_for(i, gm.H)}", f"        {_for(j, gm.W)}",
             f"            {dx4}[{b}, {c}, {i}, {j}] = np.float32(0.0)",
             f"    {_for(ki, gm.KH)}", f"        {_for(kj, gm.KW)}",
             f"            {r} = ({c} * {gm.KH} + {ki}) * {gm.KW} + {kj}",
             f"            {_for(oh, gm.HO)}",
             f"                {ih} = {oh} * {gm.SH} + {ki} - {gm.PH}"]
    pad8 = " " * 16
    if gm.PH or gm.PHH:
        lines.append(f"{pad8}if {ih} < 0 or {ih} >= {gm.H}:")
        lines.append(f"{pad8}    continue")
    lines += [f"{pad8}{_for(ow, gm.WO)}",
              f"{pad8}    {iw} = {ow} * {gm.SW} + {kj} - {gm.PW}"]
    inner = f"{pad8}    "
    if gm.PW or gm.PWH:
        lines.append(f"{inner}if {iw} >= 0 and {iw} < {gm.W}:")
        inner += "    "
    lines.append(f"{inner}{dx4}[{b}, {c}, {ih}, {iw}] += {source(r, f'{oh} * {gm.WO} + {ow}')}")
    return [pad + ln for ln in lines]


def _conv_emit(n, ctx):
    x, w = n.inputs
    y = n.outputs[0]
    gm = _Geom(n, ctx, x, y, w.shape[2:], n.attrs["stride"], n.attrs["padding"])
    x4 = gm.view4(ctx, x, gm.C, gm.H, gm.W)
    w2, y3, b = gm.v("w2"), gm.v("y3"), gm.v("b")
    lines = gm.lines + [f"{w2} = {ctx.name(w)}.reshape(({gm.F}, {gm.CKK}))",
                        f"{y3} = {ctx.name(y)}.reshape(({gm.B}, {gm.F}, {gm.P}))"]
    cols = ctx.scratch((gm.B, gm.CKK, gm.P), "float32")
    ctx.shared[gm.columns_key(x)] = cols         # the weight gradient reads them again
    lines.append(f"for {b} in prange({gm.B}):")
    lines += _im2col(gm, x4, b, lambda r, p: f"{cols}[{b}, {r}, {p}]", "    ")
    lines.append("    " + ctx.gemm(w2, f"{cols}[{b}]", f"{y3}[{b}]", split=False))
    return lines


DW_CHUNK = 16    # samples whose weight-gradient products one sgemm chain accumulates


def _conv_gw_emit(n, ctx):
    x, dy = n.inputs
    dw = n.outputs[0]
    gm = _Geom(n, ctx, x, dy, n.attrs["kernel"], n.attrs["stride"], n.attrs["padding"])
    x4 = gm.view4(ctx, x, gm.C, gm.H, gm.W)
    dy3, dw2, ch, k, b, f, j, bb = (gm.v(s) for s in ("dy3", "dw2", "ch", "k", "b", "f", "j",
                                                      "bb"))
    lines = gm.lines + [f"{dy3} = {ctx.name(dy)}.reshape(({gm.B}, {gm.F}, {gm.P}))",
                        f"{dw2} = {ctx.name(dw)}.reshape(({gm.F}, {gm.CKK}))"]
    cols = ctx.shared.get(gm.columns_key(x))      # built by the forward convolution
    chunks = f"(({gm.B} + {DW_CHUNK - 1}) // {DW_CHUNK})"
    part = ctx.scratch((chunks, gm.F, gm.CKK), "float32")
    acc = ctx.scratch((gm.F, gm.CKK), "float64")
    # one partial product per chunk of DW_CHUNK samples (sgemm accumulating, beta = 1), so the
    # partials and their order depend on the batch only, never on the thread count
    lines += [f"for {ch} in prange({chunks}):",
              f"    for {k} in range(min({DW_CHUNK}, {gm.B} - {ch} * {DW_CHUNK})):",
              f"        {b} = {ch} * {DW_CHUNK} + {k}"]
    if cols is None:
        cols = ctx.scratch((gm.B, gm.CKK, gm.P), "float32")
        lines += _im2col(gm, x4, b, lambda r, p: f"{cols}[{b}, {r}, {p}]", "        ")
    lines.append("        " + ctx.gemm(f"{dy3}[{b}]", f"{cols}[{b}]", f"{part}[{ch}]",
                                      trans_b=True, split=False,
                                      beta=f"0.0 if {k} == 0 else 1.0"))
    # sum the chunks' partials: fixed order, float64, one writer per row
    lines += [f"for {f} in {ctx.loop(gm.F, gm.CKK, chunks)}({gm.F}):",
              f"    {_for(j, gm.CKK)}", f"        {acc}[{f}, {j}] = 0.0",
              f"    {_for(bb, chunks)}", f"        {_for(j, gm.CKK)}",
              f"            {acc}[{f}, {j}] += {part}[{bb}, {f}, {j}]",
              f"    {_for(j, gm.CKK)}", f"        {dw2}[{f}, {j}] = np.float32({acc}[{f}, {j}])"]
    return lines


def _conv_gi_emit(n, ctx):
    dy, w = n.inputs
    dx = n.outputs[0]
    gm = _Geom(n, ctx, dx, dy, w.shape[2:], n.attrs["stride"], n.attrs["padding"])
    dx4 = gm.view4(ctx, dx, gm.C, gm.H, gm.W)
    w2, dy3, b = gm.v("w2"), gm.v("dy3"), gm.v("b")
    lines = gm.lines + [f"{w2} = {ctx.name(w)}.reshape(({gm.F}, {gm.CKK}))",
                        f"{dy3} = {ctx.name(dy)}.reshape(({gm.B}, {gm.F}, {gm.P}))"]
    dcols = ctx.scratch((gm.B, gm.CKK, gm.P), "float32")
    lines += [f"for {b} in prange({gm.B}):",
              "    " + ctx.gemm(w2, f"{dy3}[{b}]", f"{dcols}[{b}]", trans_a=True, split=False)]
    lines += _col2im(gm, dx4, b, lambda r, p: f"{dcols}[{b}, {r}, {p}]", "    ")
    return lines


def _pool_geom(n, ctx, x, y):
    return _Geom(n, ctx, x, y, n.attrs["size"], n.attrs["stride"],
                 ((0, 0),) * (len(x.shape) - 2))


def _pool_loops(gm):
    """prange over (sample, channel) planes, then the output positions; returns (lines, pad)."""
    bc, b, c, oh, ow = (gm.v(s) for s in ("bc", "b", "c", "oh", "ow"))
    return [f"for {bc} in prange({gm.B} * {gm.C}):",
            f"    {b} = {bc} // {gm.C}",
            f"    {c} = {bc} % {gm.C}"], (b, c, oh, ow)


def _maxpool_emit(n, ctx):
    x, y = n.inputs[0], n.outputs[0]
    gm = _pool_geom(n, ctx, x, y)
    x4 = gm.view4(ctx, x, gm.C, gm.H, gm.W)
    y4 = gm.view4(ctx, y, gm.C, gm.HO, gm.WO)
    head, (b, c, oh, ow) = _pool_loops(gm)
    ki, kj, m, t = (gm.v(s) for s in ("ki", "kj", "m", "t"))
    return gm.lines + head + [
        f"    {_for(oh, gm.HO)}", f"        {_for(ow, gm.WO)}",
        f"            {m} = {x4}[{b}, {c}, {oh} * {gm.SH}, {ow} * {gm.SW}]",
        f"            {_for(ki, gm.KH)}", f"                {_for(kj, gm.KW)}",
        f"                    {t} = {x4}[{b}, {c}, {oh} * {gm.SH} + {ki}, {ow} * {gm.SW} + {kj}]",
        f"                    if {t} > {m}:", f"                        {m} = {t}",
        f"            {y4}[{b}, {c}, {oh}, {ow}] = {m}"]


def _zero_plane(gm, dx4, b, c):
    i, j = gm.v("i"), gm.v("j")
    return [f"    {_for(i, gm.H)}", f"        {_for(j, gm.W)}",
            f"            {dx4}[{b}, {c}, {i}, {j}] = np.float32(0.0)"]


def _maxpool_grad_emit(n, ctx):
    x, dy = n.inputs
    dx = n.outputs[0]
    gm = _pool_geom(n, ctx, x, dy)
    x4 = gm.view4(ctx, x, gm.C, gm.H, gm.W)
    dy4 = gm.view4(ctx, dy, gm.C, gm.HO, gm.WO)
    dx4 = gm.view4(ctx, dx, gm.C, gm.H, gm.W)
    head, (b, c, oh, ow) = _pool_loops(gm)
    ki, kj, m, t, bi, bj = (gm.v(s) for s in ("ki", "kj", "m", "t", "bi", "bj"))
    return gm.lines + head + _zero_plane(gm, dx4, b, c) + [
        f"    {_for(oh, gm.HO)}", f"        {_for(ow, gm.WO)}",
        f"            {m} = {x4}[{b}, {c}, {oh} * {gm.SH}, {ow} * {gm.SW}]",
        f"            {bi} = 0", f"            {bj} = 0",
        f"            {_for(ki, gm.KH)}", f"                {_for(kj, gm.KW)}",
        f"                    {t} = {x4}[{b}, {c}, {oh} * {gm.SH} + {ki}, {ow} * {gm.SW} + {kj}]",
        f"                    if {t} > {m}:",
        f"                        {m} = {t}", f"                        {bi} = {ki}",
        f"                        {bj} = {kj}",
        f"            {dx4}[{b}, {c}, {oh} * {gm.SH} + {bi}, {ow} * {gm.SW} + {bj}] += "
        f"{dy4}[{b}, {c}, {oh}, {ow}]"]


def _avgpool_emit(n, ctx):
    x, y = n.inputs[0], n.outputs[0]
    gm = _pool_geom(n, ctx, x, y)
    x4 = gm.view4(ctx, x, gm.C, gm.H, gm.W)
    y4 = gm.view4(ctx, y, gm.C, gm.HO, gm.WO)
    head, (b, c, oh, ow) = _pool_loops(gm)
    ki, kj, acc = gm.v("ki"), gm.v("kj"), gm.v("acc")
    return gm.lines + head + [
        f"    {_for(oh, gm.HO)}", f"        {_for(ow, gm.WO)}",
        f"            {acc} = 0.0",
        f"            {_for(ki, gm.KH)}", f"                {_for(kj, gm.KW)}",
        f"                    {acc} += {x4}[{b}, {c}, {oh} * {gm.SH} + {ki}, {ow} * {gm.SW} + {kj}]",
        f"            {y4}[{b}, {c}, {oh}, {ow}] = np.float32({acc} / {gm.KH * gm.KW})"]


def _avgpool_grad_emit(n, ctx):
    dy, dx = n.inputs[0], n.outputs[0]
    gm = _pool_geom(n, ctx, dx, dy)
    dy4 = gm.view4(ctx, dy, gm.C, gm.HO, gm.WO)
    dx4 = gm.view4(ctx, dx, gm.C, gm.H, gm.W)
    head, (b, c, oh, ow) = _pool_loops(gm)
    ki, kj, g = gm.v("ki"), gm.v("kj"), gm.v("g")
    return gm.lines + head + _zero_plane(gm, dx4, b, c) + [
        f"    {_for(oh, gm.HO)}", f"        {_for(ow, gm.WO)}",
        f"            {g} = {dy4}[{b}, {c}, {oh}, {ow}] / np.float32({gm.KH * gm.KW})",
        f"            {_for(ki, gm.KH)}", f"                {_for(kj, gm.KW)}",
        f"                    {dx4}[{b}, {c}, {oh} * {gm.SH} + {ki}, {ow} * {gm.SW} + {kj}] += {g}"]
