"""Matrix products and sum reductions, one writer per output element.

A product's element is a dot product over K in index order with a float32 accumulator, either
plainly (one thread per element, its operands from global memory) or tiled (shared-memory
tiles of A and B, a register block of outputs per thread); the two give the same bits. A
sum's element accumulates in float64 over its reduced indices in row-major order and is
rounded once, as the CPU target's sums are; a long one in fixed pieces (emitters.pieced_sum).
None uses atomics, so the bits do not depend on the grid.
"""
from __future__ import annotations

import os

from ..device import block_threads
from . import PIECE_TERMS, emitter, fixed_value, grid_loop, pieced_sum


# A tiled product: each block computes a tile of (RM * TY) x (RN * TX) outputs, each of its
# TY x TX threads an RM x RN register block of it, from A and B tiles of TK steps of the
# contraction staged in shared memory. Every output still sums its K products in index
# order in float32, as the plain product does, so the two give the same bits.
RM = RN = 2
TK = 32


def _thread_grid(threads: int) -> tuple[int, int]:
    """(TY, TX) with TY * TX = threads, TX the larger (consecutive threads: consecutive
    columns, so the stores coalesce)."""
    ty = 1 << (int(threads).bit_length() - 1) // 2
    return ty, threads // ty


def matmul_choice(k: str) -> str:
    """'tiled' or 'plain' for a contraction of length k (a size expression: the batch, for a
    weight gradient). RECIPEC_CUDA_MATMUL=plain|tiled forces one (the benchmark measures
    both); otherwise a contraction of fewer than TK known steps stays plain (a tile would be
    mostly padding)."""
    forced = os.environ.get("RECIPEC_CUDA_MATMUL", "auto")
    if forced in ("plain", "tiled"):
        return forced
    fixed = fixed_value(k)
    return "plain" if fixed is not None and fixed < TK else "tiled"


@emitter("matmul")
def _matmul(n, ctx):
    a, b = n.inputs
    out = n.outputs[0]
    ta, tb = n.attrs.get("trans_a", False), n.attrs.get("trans_b", False)
    m, nn = ctx.shape(out)
    k = ctx.shape(a)[0 if ta else 1]
    a_at = "kk * {m} + i".format(m=m) if ta else f"i * {k} + kk"
    b_at = f"j * {k} + kk" if tb else f"kk * {nn} + j"
    if matmul_choice(k) == "tiled":
        return _tiled(ctx, a, b, out, m, nn, k, ta, tb)
    return grid_loop("e", f"{m} * {nn}", [
        f"i = e // {nn}",
        f"j = e - i * {nn}",
        "acc = np.float32(0.0)",
        f"for kk in range({k}):",
        f"    acc += {ctx.at(a, a_at)} * {ctx.at(b, b_at)}",
        f"{ctx.at(out, 'e')} = acc"])


def _tiled(ctx, a, b, out, m: str, nn: str, k: str, ta: bool, tb: bool) -> list[str]:
    threads = block_threads()
    ty, tx = _thread_grid(threads)
    tm, tn = RM * ty, RN * tx
    sa = ctx.shared_tile("mm_sa", (TK, tm))
    sb = ctx.shared_tile("mm_sb", (TK, tn))
    tiles_n = ctx.fresh("mm_tiles_n")
    # the loads' fastest index follows memory: A is [M, K] (or [K, M] transposed), B [K, N]
    # (or [N, K]), so a warp reads consecutive addresses
    if ta:
        load_a = [f"mm_r = mm_q % {tm}", f"mm_k = mm_q // {tm}"]
        a_elem = ctx.at(a, f"mm_gk * {m} + mm_gi")
    else:
        load_a = [f"mm_k = mm_q % {TK}", f"mm_r = mm_q // {TK}"]
        a_elem = ctx.at(a, f"mm_gi * {k} + mm_gk")
    if tb:
        load_b = [f"mm_k = mm_q % {TK}", f"mm_c = mm_q // {TK}"]
        b_elem = ctx.at(b, f"mm_gj * {k} + mm_gk")
    else:
        load_b = [f"mm_c = mm_q % {tn}", f"mm_k = mm_q // {tn}"]
        b_elem = ctx.at(b, f"mm_gk * {nn} + mm_gj")
    blocks = [(r, c) for r in range(RM) for c in range(RN)]
    fma = []
    for r in range(RM):
        fma.append(f"            mm_a{r} = {sa}[mm_kk, mm_ty + {r * ty}]")
    for c in range(RN):
        fma.append(f"            mm_b{c} = {sb}[mm_kk, mm_tx + {c * tx}]")
    fma += [f"            mm_acc{r}{c} += mm_a{r} * mm_b{c}" for r, c in blocks]
    store = []
    for r, c in blocks:
        store += [f"    mm_i = mm_row + mm_ty + {r * ty}",
                  f"    mm_j = mm_col + mm_tx + {c * tx}",
                  f"    if mm_i < {m} and mm_j < {nn}:",
                  f"        {ctx.at(out, f'mm_i * {nn} + mm_j')} = mm_acc{r}{c}"]
    return [
        f"{tiles_n} = ({nn} + {tn - 1}) // {tn}",
        "mm_lt = cuda.threadIdx.x",
        f"mm_ty = mm_lt // {tx}",
        f"mm_tx = mm_lt - mm_ty * {tx}",
        f"for mm_tile in range(cuda.blockIdx.x, (({m}) + {tm - 1}) // {tm} * {tiles_n}, "
        "cuda.gridDim.x):",
        f"    mm_row = (mm_tile // {tiles_n}) * {tm}",
        f"    mm_col = (mm_tile % {tiles_n}) * {tn}",
        *[f"    mm_acc{r}{c} = np.float32(0.0)" for r, c in blocks],
        f"    for mm_k0 in range(0, {k}, {TK}):",
        f"        for mm_q in range(mm_lt, {tm * TK}, {threads}):",
        *["            " + ln for ln in load_a],
        "            mm_gi = mm_row + mm_r",
        "            mm_gk = mm_k0 + mm_k",
        f"            {sa}[mm_k, mm_r] = {a_elem} if mm_gi < {m} and mm_gk < {k} "
        "else np.float32(0.0)",
        f"        for mm_q in range(mm_lt, {tn * TK}, {threads}):",
        *["            " + ln for ln in load_b],
        "            mm_gj = mm_col + mm_c",
        "            mm_gk = mm_k0 + mm_k",
        f"            {sb}[mm_k, mm_c] = {b_elem} if mm_gj < {nn} and mm_gk < {k} "
        "else np.float32(0.0)",
        "        cuda.syncthreads()",
        f"        for mm_kk in range({TK}):",
        *fma,
        "        cuda.syncthreads()",
        *store]


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
    dims = ctx.shape(x)
    p, k, q = _blocks(dims, n.attrs["axes"])
    out = n.outputs[0]
    reduced = [d for i, d in enumerate(dims) if i in n.attrs["axes"]]
    per_row = fixed_value(" * ".join(d for d in reduced if d != "B") or "1")
    has_batch = "B" in reduced
    if (has_batch and per_row > 4) or (not has_batch and per_row > PIECE_TERMS):
        # a bias gradient of a conv (batch x positions terms per channel): in pieces
        def term(c, t):
            return [f"pc_r = {t} // ({q})", f"pc_s = {t} - pc_r * ({q})"], \
                ctx.at(x, f"(pc_r * ({k}) + {c}) * ({q}) + pc_s")
        return pieced_sum(ctx, str(fixed_value(k)), f"({p}) * ({q})", per_row, term,
                          lambda c, acc: f"{ctx.at(out, c)} = np.float32({acc})", "rs")
    return grid_loop("c", k, [
        "acc = 0.0",
        f"for r in range({p}):",
        f"    for s in range({q}):",
        f"        acc += {ctx.at(x, f'(r * {k} + c) * {q} + s')}",
        f"{ctx.at(n.outputs[0], 'c')} = np.float32(acc)"])


@emitter("reshape")
def _reshape(n, ctx):
    return []        # an alias: the same elements, read under the new shape
