"""Matrix products (lowered to BLAS sgemm, see lower/cblas.py) and sum reductions."""
from __future__ import annotations

import numpy as np

from ..ir import TensorType
from ..lower.entry import IMPL, export
from . import OpDef, register


def _mm_infer(types, attrs):
    a, b = types
    assert a.rank == 2 and b.rank == 2, f"matmul wants 2-D operands, got {a}, {b}"
    m, k = (a.shape[1], a.shape[0]) if attrs.get("trans_a") else a.shape
    k2, n = (b.shape[1], b.shape[0]) if attrs.get("trans_b") else b.shape
    assert k == k2, f"matmul inner dimensions differ: {a} x {b} (attrs {attrs})"
    return [TensorType((m, n), a.dtype)]


def _mm_ref(a, b, *, trans_a=False, trans_b=False):
    return (a.T if trans_a else a) @ (b.T if trans_b else b)


def _mm_vjp(g, n, ct):
    # d(AB) = dA B + A dB; with C = op(A) op(B): dA = dC B^T, dB = A^T dC (transposes folded).
    a, b = n.inputs
    ta, tb = n.attrs.get("trans_a", False), n.attrs.get("trans_b", False)
    d = ct[0]
    da = (g.add("matmul", b, d, trans_a=tb, trans_b=True) if ta
          else g.add("matmul", d, b, trans_b=not tb))
    db = (g.add("matmul", d, a, trans_a=True, trans_b=ta) if tb
          else g.add("matmul", a, d, trans_a=not ta))
    return [da, db]  # an unneeded one (e.g. for the input batch) is removed by dead-code elimination


def _mm_emit(n, ctx):
    a, b = n.inputs
    return [ctx.gemm(ctx.name(a), ctx.name(b), ctx.name(n.outputs[0]),
                     n.attrs.get("trans_a", False), n.attrs.get("trans_b", False))]


register(OpDef("matmul", _mm_infer, _mm_ref, vjp=_mm_vjp, emit=_mm_emit,
               doc="C = op(A) @ op(B), op = transpose when trans_a / trans_b"))


def _rs_infer(types, attrs):
    (x,) = types
    return [TensorType(tuple(d for i, d in enumerate(x.shape) if i not in attrs["axes"]), x.dtype)]


def _rs_ref(x, *, axes):
    return x.sum(axis=tuple(axes), dtype=np.float64).astype(x.dtype)


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
    from ..lower.cpu import PARALLEL_MIN_ELEMENTS as serial_below   # read now: tests patch it

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


register(OpDef("reduce_sum", _rs_infer, _rs_ref, emit=_rs_emit,
               prelude=_sum_channels_library,
               doc="sum over `axes` (appears only in gradients, so it has no VJP of its own)"))
