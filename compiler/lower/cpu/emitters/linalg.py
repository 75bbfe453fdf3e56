"""Matrix products (BLAS sgemm cut across the threads, lower/cpu/cblas.py) and sum reductions."""
from __future__ import annotations

from ..entry import IMPL, export
from . import emitter, library


def _mm_emit(n, ctx):
    a, b = n.inputs
    return [ctx.gemm(ctx.name(a), ctx.name(b), ctx.name(n.outputs[0]),
                     n.attrs.get("trans_a", False), n.attrs.get("trans_b", False))]



def _split(dims: list[str], axes) -> tuple[str, str, str] | None:
    """[P, K, Q] products when the reduced axes are a leading block (P) and a trailing block
    (Q) around contiguous kept axes (K): bias gradients are (0,) and (0, 2, 3)."""
    kept = [i for i in range(len(dims)) if i not in axes]
    if not kept or kept != list(range(kept[0], kept[-1] + 1)):
        return None

    def prod(ix):
        return " * ".join(dims[i] for i in ix) or "1"

    return (prod(range(kept[0])), prod(kept), prod(range(kept[-1] + 1, len(dims))))



def _rs_emit(n, ctx):
    """Sums with float64 accumulators in a fixed order: each output element has one writer, so
    the result does not depend on the thread count.

    NOTE: a single float64 accumulator is a dependency chain LLVM may not vectorise (no
    reassociation without fastmath; measured 1.1 ms for a conv bias gradient at batch 64).
    So the innermost loop always runs over contiguous elements into a vector of partial sums.
    """
    (x,) = n.inputs
    dims = ctx.shape(x)
    split = _split(dims, n.attrs["axes"])
    if split is None:
        return _rs_emit_generic(n, ctx)
    p, k, q = split
    out = ctx.name(n.outputs[0])
    if q != "1":    # a trailing block too (conv bias gradients): the library kernel
        part = ctx.scratch((k, q), "float64")
        return [f"sum_channels({ctx.name(x)}, {out}, {part}, {p}, {k}, {q})"]
    # leading axes only (dense bias gradients): accumulate whole rows
    xv, acc = ctx.fresh("xv"), ctx.scratch((k,), "float64")
    return [f"{xv} = view({ctx.name(x)}, ({p}, {k}))",
            f"{acc}[:] = 0.0",
            f"for r in range({p}):",
            f"    for c in range({k}):",
            f"        {acc}[c] += {xv}[r, c]",
            f"for c in {ctx.loop(k)}({k}):",
            f"    {out}[c] = {acc}[c]"]



def _sum_channels_library(parallel: bool) -> str:
    """The library kernel for sums over a leading and a trailing block of axes (a conv bias
    gradient: [B, C, H, W] -> [C]); one call per node, no loop compiled per recipe."""
    from ..njit_options import PARALLEL_MIN_ELEMENTS as serial_below  # read now: tests patch it

    return f"""
@njit(cache=True, error_model='numpy')
def _sum_channel(x3, part, out, c):
    p, q = x3.shape[0], x3.shape[2]
    acc = part[c]
    for t in range(q):
        acc[t] = 0.0
    for r in range(p):
        row = x3[r, c]
        for t in range(q):
            acc[t] += row[t]
    total = 0.0
    for t in range(q):
        total += acc[t]
    out[c] = total


{IMPL}
def sum_channels_impl(x, out, part, p, k, q):
    x3 = x.reshape((p, k, q))
    if p * k * q < {serial_below}:
        for c in range(k):
            _sum_channel(x3, part, out, c)
    else:
        for c in prange(k):
            _sum_channel(x3, part, out, c)


""" + export("sum_channels", "x: f32[*], out: f32[*], part: f64[2], p: int, k: int, q: int")



def _rs_emit_generic(n, ctx):
    """Any axes: kept axes outermost (the first one parallel), reduced axes inside."""
    (x,) = n.inputs
    out = n.outputs[0]
    dims = ctx.shape(x)
    axes = n.attrs["axes"]
    kept = [i for i in range(len(dims)) if i not in axes]
    lines, pad = [], ""
    for depth, i in enumerate(kept):
        loop = ctx.loop(*dims) if depth == 0 else "range"
        lines.append(f"{pad}for i{i} in {loop}({dims[i]}):")
        pad += "    "
    lines.append(f"{pad}acc = 0.0")
    inner = pad
    for i in axes:
        lines.append(f"{inner}for i{i} in range({dims[i]}):")
        inner += "    "
    index = ", ".join(f"i{i}" for i in range(len(dims)))
    lines.append(f"{inner}acc += {ctx.name(x)}[{index}]")
    target = ctx.name(out)
    if kept:
        lines.append(f"{pad}{target}[{', '.join(f'i{i}' for i in kept)}] = acc")
    else:
        lines.append(f"{pad}{target} = np.float32(acc)")
    return lines


emitter("matmul")(_mm_emit)
emitter("reduce_sum")(_rs_emit)
library("sum_channels")(_sum_channels_library)
