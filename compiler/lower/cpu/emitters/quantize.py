"""int8 inference (ops/quantize.py): quantise a float32 input, int8 products and
convolutions with int32 sums, dequantise per channel. (Loop variables are prefixed: the
kernel's own `base`, the batch's first row, is read after the body.)

The products are plain loop nests over int8 operands with an int32 accumulator, rows in
parallel: both operands of matmul_i8 run along K (the weight is stored [N, K]), so the inner
loop is an int8 dot product that LLVM vectorises (sign-extend and multiply-add). conv_i8
gathers each sample's windows into int8 columns first, so its sums are the same dot products."""
from __future__ import annotations

from . import emitter


def _nest(ctx, v, body: list[str]) -> list[str]:
    """Loops over every element of v, indices q0, q1, ..., the outer one parallel where it
    pays. The stores index the buffers themselves: Numba's parfor pass was measured to drop
    a prange loop's stores into a reshaped view of a buffer that a later loop reads."""
    dims = ctx.shape(v)
    lines = []
    for k, d in enumerate(dims):
        loop = ctx.loop(*dims) if k == 0 else "range"
        lines.append("    " * k + f"for q{k} in {loop}({d}):")
    return lines + ["    " * len(dims) + ln for ln in body]


def _at(v) -> str:
    return ", ".join(f"q{k}" for k in range(len(v.shape)))


@emitter("quantize_i8")
def _quantize(n, ctx):
    x, s = n.inputs
    out = n.outputs[0]
    inv = ctx.fresh("inv")
    return [f"{inv} = 1.0 / np.float64({ctx.name(s)}[0])"] + _nest(ctx, out, [
        f"{ctx.name(out)}[{_at(out)}] = np.int8(min(max(np.rint(np.float64("
        f"{ctx.name(x)}[{_at(x)}]) * {inv}), -127.0), 127.0))"])


@emitter("matmul_i8")
def _matmul_i8(n, ctx):
    a, wt = n.inputs
    out = ctx.name(n.outputs[0])
    b, k = ctx.shape(a)
    units = ctx.shape(wt)[0]
    return [f"for i in {ctx.loop(b, units, k)}({b}):",
            f"    for j in range({units}):",
            "        acc = np.int32(0)",
            f"        for kk in range({k}):",
            f"            acc += np.int32({ctx.name(a)}[i, kk]) * np.int32({ctx.name(wt)}[j, kk])",
            f"        {out}[i, j] = acc"]


@emitter("conv_i8")
def _conv_i8(n, ctx):
    """Per sample (in parallel): the int8 columns [positions, C * kh * kw] (zeros where the
    window leaves the input), then each filter's int8 dot product with each position's
    column, both running along the contiguous last axis (so LLVM vectorises it)."""
    x, w = n.inputs
    y = n.outputs[0]
    xs, ws, ys = ctx.shape(x), ctx.shape(w), ctx.shape(y)
    xn, yn = ctx.name(x), ctx.name(y)
    one_d = len(xs) == 3
    b, c, f = xs[0], int(xs[1]), int(ws[0])
    stride = (1,) * one_d + tuple(n.attrs["stride"])
    pads = (0,) * one_d + tuple(p[0] for p in n.attrs["padding"])
    (h, wd), (kh, kw), (ho, wo) = ((1,) * one_d + tuple(int(d) for d in xs[2:]),
                                   (1,) * one_d + tuple(int(d) for d in ws[2:]),
                                   (1,) * one_d + tuple(int(d) for d in ys[2:]))
    k, positions = c * kh * kw, ho * wo
    wv = ctx.fresh("wcodes")
    x_at = f"{xn}[cb, cc, iw]" if one_d else f"{xn}[cb, cc, ih, iw]"
    y_at = f"{yn}[cb, ff, pp]" if one_d else f"{yn}[cb, ff, pp // {wo}, pp % {wo}]"
    return [f"{wv} = view({ctx.name(w)}, ({f}, {k}))",
            f"for cb in {ctx.loop(b, f, positions, k)}({b}):",
            f"    cols = np.zeros(({positions}, {k}), np.int8)",
            f"    for oh in range({ho}):",
            f"        for ow in range({wo}):",
            f"            pp = oh * {wo} + ow",
            f"            for cc in range({c}):",
            f"                for ki in range({kh}):",
            f"                    ih = oh * {stride[0]} + ki - {pads[0]}",
            f"                    if ih < 0 or ih >= {h}:",
            "                        continue",
            f"                    for kj in range({kw}):",
            f"                        iw = ow * {stride[1]} + kj - {pads[1]}",
            f"                        if iw >= 0 and iw < {wd}:",
            f"                            cols[pp, (cc * {kh} + ki) * {kw} + kj] = {x_at}",
            f"    for ff in range({f}):",
            f"        for pp in range({positions}):",
            "            acc = np.int32(0)",
            f"            for kk in range({k}):",
            f"                acc += np.int32(cols[pp, kk]) * np.int32({wv}[ff, kk])",
            f"            {y_at} = acc"]


@emitter("dequantize")
def _dequantize(n, ctx):
    acc, s, ws = n.inputs
    out = n.outputs[0]
    axis = n.attrs["axis"] % len(out.shape)
    sc = ctx.fresh("sc")
    return [f"{sc} = np.float64({ctx.name(s)}[0])"] + _nest(ctx, out, [
        f"{ctx.name(out)}[{_at(out)}] = np.float32({ctx.name(acc)}[{_at(acc)}] * ({sc} * "
        f"np.float64({ctx.name(ws)}[q{axis}])))"])
