"""Matrix products and sum reductions, one writer per output element.

A product's element is a dot product over K in index order with a float32 accumulator; a sum's
element accumulates in float64 over its reduced indices in row-major order and is rounded
once, as the CPU target's sums are. Neither uses atomics, so the bits do not depend on the
grid. (A shared-memory tiled product is the next step for large layers; at the sizes of the
example MLPs a step is bound by its barriers, not its arithmetic.)
"""
from __future__ import annotations

from . import emitter, grid_loop


@emitter("matmul")
def _matmul(n, ctx):
    a, b = n.inputs
    out = n.outputs[0]
    ta, tb = n.attrs.get("trans_a", False), n.attrs.get("trans_b", False)
    m, nn = ctx.shape(out)
    k = ctx.shape(a)[0 if ta else 1]
    a_at = "kk * {m} + i".format(m=m) if ta else f"i * {k} + kk"
    b_at = f"j * {k} + kk" if tb else f"kk * {nn} + j"
    return grid_loop("e", f"{m} * {nn}", [
        f"i = e // {nn}",
        f"j = e - i * {nn}",
        "acc = np.float32(0.0)",
        f"for kk in range({k}):",
        f"    acc += {ctx.at(a, a_at)} * {ctx.at(b, b_at)}",
        f"{ctx.at(out, 'e')} = acc"])


def _blocks(dims: list[str], axes) -> tuple[str, str, str]:
    """(P, K, Q): the reduced leading block, the kept block, the reduced trailing block."""
    kept = [i for i in range(len(dims)) if i not in axes]
    if not kept or kept != list(range(kept[0], kept[-1] + 1)):
        raise NotImplementedError(f"the CUDA target sums only leading and trailing axes, "
                                  f"not axes {tuple(axes)} of {dims}")

    def prod(ix):
        return " * ".join(dims[i] for i in ix) or "1"

    return prod(range(kept[0])), prod(kept), prod(range(kept[-1] + 1, len(dims)))


@emitter("reduce_sum")
def _reduce_sum(n, ctx):
    (x,) = n.inputs
    p, k, q = _blocks(ctx.shape(x), n.attrs["axes"])
    return grid_loop("c", k, [
        "acc = 0.0",
        f"for r in range({p}):",
        f"    for s in range({q}):",
        f"        acc += {ctx.at(x, f'(r * {k} + c) * {q} + s')}",
        f"{ctx.at(n.outputs[0], 'c')} = np.float32(acc)"])


@emitter("reshape")
def _reshape(n, ctx):
    return []        # an alias: the same elements, read under the new shape
