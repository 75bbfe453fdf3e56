"""Numba lowering of the max-pool winner ops (ops/winners.py): library kernels plus one call each.

A convolution followed by max-pooling gets back a gradient with one non-zero per pooling window
(its first maximum); the dense backward multiplies all the zeros too. These kernels take the
windows' (position, gradient) pairs instead and, per non-zero, add gradient x receptive field
into dW and gradient x filter into dX. They work on channels-last copies, where one window's
receptive field is KH runs of KW*C contiguous floats: x (for dW) and dx (for dX) one sample at a
time in a zero-padded [H+pad, W+pad, C] buffer, the weights once per call as [F, KH, KW, C].
Measured on the benchmark convnet's conv2 (2x2 pooling of 11x11: 4.8x fewer products than the
dense GEMMs, at about half their speed per product): see winners.py.

Both results are summed in a fixed order (dW: float32 within chunks of samples, float64 across
chunks), so they depend on the batch but never on the thread count.
"""
from __future__ import annotations

from . import conv as conv_lower, emitter, library
from .conv import _Geom, _function, _pool_geom, _window_max, _with_2x2_fast_path

# the padded channels-last buffer and each window's receptive field in it
_PADDED = ["HP = H + PH + PHH", "WP = W + PW + PWH", "ROW = WP * C", "SEG = KW * C",
           # where each conv output position's receptive field starts in the padded copy
           "for p in range(P):",
           "    off[p] = ((p // WO) * SH * WP + (p % WO) * SW) * C"]


def _each_winner(dst: str, src: str) -> list[str]:
    """Lines (inside the loop over a chunk's samples `b`) adding every non-zero window of
    sample b: dst[segment] += g * src[segment] for the KH segments of its receptive field."""
    return ["        for f in range(F):",
            "            first = (b * F + f) * nw",
            "            for q in range(nw):",
            "                gv = g[first + q]",
            "                if gv == np.float32(0.0):",      # ReLU's dead windows: nothing
            "                    continue",
            "                o = off[pos[first + q]]",
            "                for ki in range(KH):",
            f"                    {dst}",
            f"                    {src}",
            "                    for t in range(SEG):",
            "                        dst[t] += gv * src[t]"]


def library_source(parallel: bool) -> str:
    """The winner kernels of the shared helper library."""
    winners = _with_2x2_fast_path(lambda kh, kw, sh, sw: _window_max(
        "x4", True, kh, kw, sh, sw) + [
            "            k = (bc * HO + oh) * WO + ow",
            f"            pos[k] = (oh * {sh} + bi) * W + ow * {sw} + bj",
            "            gv = dy4[b, c, oh, ow]",
            "            g[k] = gv if not relu_mask or m > np.float32(0.0) else np.float32(0.0)"])
    grad_weight = _PADDED + [
        "chunks = (B + chunk - 1) // chunk",
        "for ch in prange(chunks):",
        "    xh = xs[ch]",
        "    pc = part[ch]",
        "    for t in range(HP * ROW):",           # the padding stays zero
        "        xh[t] = np.float32(0.0)",
        "    for t in range(F * KH * SEG):",
        "        pc[t] = np.float32(0.0)",
        "    for k in range(min(chunk, B - ch * chunk)):",
        "        b = ch * chunk + k",
        "        for i in range(H):",
        "            for j in range(W):",
        "                base = ((i + PH) * WP + j + PW) * C",
        "                for c in range(C):",
        "                    xh[base + c] = x4[b, c, i, j]",
    ] + _each_winner("src = xh[o + ki * ROW:o + ki * ROW + SEG]",
                     "dst = pc[(f * KH + ki) * SEG:(f * KH + ki + 1) * SEG]") + [
        # the chunks' partials, in float64 and a fixed order, back to [F, C, KH, KW]
        "for f in prange(F):",
        "    for c in range(C):",
        "        for ki in range(KH):",
        "            for kj in range(KW):",
        "                s = 0.0",
        "                for q in range(chunks):",
        "                    s += part[q, (f * KH + ki) * SEG + kj * C + c]",
        "                dw2[f, (c * KH + ki) * KW + kj] = np.float32(s)"]
    grad_input = _PADDED + [
        "for f in prange(F):",
        "    for c in range(C):",
        "        for ki in range(KH):",
        "            for kj in range(KW):",
        "                wt[(f * KH + ki) * SEG + kj * C + c] = w2[f, (c * KH + ki) * KW + kj]",
        "chunks = (B + chunk - 1) // chunk",
        "for ch in prange(chunks):",
        "    dh = ds[ch]",
        "    for k in range(min(chunk, B - ch * chunk)):",
        "        b = ch * chunk + k",
        "        for t in range(HP * ROW):",
        "            dh[t] = np.float32(0.0)",
    ] + _each_winner("dst = dh[o + ki * ROW:o + ki * ROW + SEG]",
                     "src = wt[(f * KH + ki) * SEG:(f * KH + ki + 1) * SEG]") + [
        "        for c in range(C):",
        "            for i in range(H):",
        "                for j in range(W):",
        "                    dx4[b, c, i, j] = dh[((i + PH) * WP + j + PW) * C + c]"]
    return "\n\n".join([
        _function("maxpool_winners", "x4: f32[*], dy4: f32[*], pos: i64[*], g: f32[*], "
                  "geom: i64[1], relu_mask: bool", winners, parallel),
        _function("conv_grad_weight_winners", "x4: f32[*], pos: i64[*], g: f32[*], "
                  "dw2: f32[*], xs: f32[2], part: f32[2], off: i64[1], geom: i64[1], nw: int, "
                  "chunk: int", grad_weight, parallel),
        _function("conv_grad_input_winners", "pos: i64[*], g: f32[*], w2: f32[*], "
                  "dx4: f32[*], wt: f32[1], ds: f32[2], off: i64[1], geom: i64[1], nw: int, "
                  "chunk: int", grad_input, parallel)])


# -- one call per node ---------------------------------------------------------------------
def maxpool_winners_emit(n, ctx):
    x, dy = n.inputs
    pos, g = n.outputs
    gm = _pool_geom(n, ctx, x, dy)
    return [f"maxpool_winners({ctx.name(x)}, {ctx.name(dy)}, {ctx.name(pos)}, {ctx.name(g)}, "
            f"{gm.array(ctx)}, {bool(n.attrs['relu'])})"]


def _conv_geom(n, x_shape, filters, kernel):
    """The convolution's geometry: its input's shape and its (never built) output's."""
    y_shape = [x_shape[0], str(filters)] + [str(d) for d in n.attrs["out_size"]]
    return _Geom(x_shape, y_shape, kernel, n.attrs["stride"], n.attrs["padding"])


def _padded_size(gm) -> int:
    return (gm.H + gm.PH + gm.PHH) * (gm.W + gm.PW + gm.PWH) * gm.C


def _windows(g) -> int:
    count = 1
    for d in g.shape[2:]:
        count *= int(d)
    return count


def conv_grad_weight_winners_emit(n, ctx):
    x, pos, g = n.inputs
    gm = _conv_geom(n, ctx.shape(x), g.shape[1], n.attrs["kernel"])
    chunk = conv_lower.DW_CHUNK          # read now: tests patch it
    chunks = f"(({gm.B} + {chunk - 1}) // {chunk})"
    xs = ctx.scratch((chunks, _padded_size(gm)), "float32")
    part = ctx.scratch((chunks, gm.F * gm.CKK), "float32")
    off = ctx.scratch((gm.P,), "int64")
    return [f"conv_grad_weight_winners({ctx.name(x)}, {ctx.name(pos)}, {ctx.name(g)}, "
            f"{ctx.name(n.outputs[0])}, {xs}, {part}, {off}, {gm.array(ctx)}, {_windows(g)}, "
            f"{chunk})"]


def conv_grad_input_winners_emit(n, ctx):
    pos, g, w = n.inputs
    dx = n.outputs[0]
    gm = _conv_geom(n, ctx.shape(dx), w.shape[0], w.shape[2:])
    chunk = conv_lower.DX_CHUNK
    chunks = f"(({gm.B} + {chunk - 1}) // {chunk})"
    wt = ctx.scratch((gm.F * gm.CKK,), "float32")
    ds = ctx.scratch((chunks, _padded_size(gm)), "float32")
    off = ctx.scratch((gm.P,), "int64")
    return [f"conv_grad_input_winners({ctx.name(pos)}, {ctx.name(g)}, {ctx.name(w)}, "
            f"{ctx.name(dx)}, {wt}, {ds}, {off}, {gm.array(ctx)}, {_windows(g)}, {chunk})"]


emitter("maxpool_winners")(maxpool_winners_emit)
library("maxpool_winners")(library_source)
emitter("conv_grad_weight_winners")(conv_grad_weight_winners_emit)
emitter("conv_grad_input_winners")(conv_grad_input_winners_emit)
