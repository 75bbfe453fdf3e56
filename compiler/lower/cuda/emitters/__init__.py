"""The CUDA target's emitters, registered by IR op name.

An emitter turns one node into device-code lines of the step's one kernel (lower/cuda/module.py)
given its EmitContext: element accesses into the arenas (`ctx.at`), shapes, fresh names. Each
op is one or more phases; a phase is a grid-stride loop in which every output element has
exactly one writer (so nothing depends on the thread count or on scheduling), and phases are
separated by a grid-wide barrier the module writes after each op (`SYNC` inside an emitter's
lines separates its own phases). Elementwise ops render their formulas (elementwise.py).
"""
from __future__ import annotations

from typing import Callable

from ....types import BATCH

EMITTERS: dict[str, Callable] = {}

SYNC = "grid.sync()"


def f32(c: float) -> str:
    return f"np.float32({float(c)!r})"


def emitter(*ops: str):
    """Register the decorated function as the CUDA emitter of each op in `ops`."""
    def register(fn):
        for op in ops:
            assert op not in EMITTERS, f"CUDA emitter for {op} registered twice"
            EMITTERS[op] = fn
        return fn
    return register


def grid_loop(var: str, total: str, body: list[str]) -> list[str]:
    """`body` once for every index `var` in [0, total), the indices dealt out over the grid."""
    return [f"for {var} in range(tid, {total}, nth):"] + ["    " + ln for ln in body]


def single(body: list[str]) -> list[str]:
    """`body` run by thread 0 alone (a fixed-order reduction's last step)."""
    return ["if tid == 0:"] + ["    " + ln for ln in body]


# Sums over many elements (a gradient norm, a weight penalty) are cut into this many pieces
# of fixed extent, whatever the grid: each piece is summed by one thread in order, then
# thread 0 adds the pieces in order, so the bits do not depend on how many threads ran.
PIECES = 256


def fixed_sum(ctx, total: str, term, into: str) -> list[str]:
    """Lines leaving `into` = the float64 sum of term(k) for k in [0, total), in PIECES
    fixed pieces; every thread sees the result after the lines (they end with a barrier).
    `term(k)` is a float64 expression of the flat index k."""
    parts = ctx.scratch([str(PIECES)], "float64")
    result = ctx.scratch(["1"], "float64")
    size = ctx.fresh("piece")
    return [f"{size} = ({total} + {PIECES - 1}) // {PIECES}",
            f"for pc in range(tid, {PIECES}, nth):",
            "    acc = 0.0",
            f"    for k in range(pc * {size}, min({total}, (pc + 1) * {size})):",
            f"        acc += {term('k')}",
            f"    {parts.at('pc')} = acc",
            SYNC,
            "if tid == 0:",
            "    acc = 0.0",
            f"    for pc in range({PIECES}):",
            f"        acc += {parts.at('pc')}",
            f"    {result.at('0')} = acc",
            SYNC,
            f"{into} = {result.at('0')}"]


# A sum of many terms per output element (a conv's weight or bias gradient: batch x positions
# terms for each of a few hundred outputs) would leave most of the grid idle behind a few
# long serial loops. It is cut instead into pieces of PIECE_TERMS consecutive terms: one
# thread sums each (output, piece) in order, then one thread per output adds its pieces in
# order. Piece boundaries depend only on the term count, so the bits do not depend on the grid.
PIECE_TERMS = 256


def fixed_value(expr: str) -> int | None:
    """The value of a size expression (integers and '*'), None when it holds the batch."""
    try:
        return int(eval(expr, {"__builtins__": {}}))    # noqa: S307 - digits, '*', '(' only
    except NameError:
        return None


def pieced_sum(ctx, outputs: str, terms: str, terms_per_row: int, term, store,
               name: str) -> list[str]:
    """Lines computing, for every c in [0, outputs), the float64 sum over t in [0, terms) of
    term(c, t) and ending with store(c, sum). `term(c, t)` returns (lines, expression): lines
    that may `continue` to skip a term, then the float64 term. When `terms` holds the batch it
    counts B rows of `terms_per_row` terms (the scratch is sized for BMAX rows)."""
    pieces = ctx.fresh(f"{name}_pieces")
    if fixed_value(terms) is not None:
        bound = [str(-(-fixed_value(terms) // PIECE_TERMS))]
    else:
        bound = [BATCH, str(-(-terms_per_row // PIECE_TERMS))]  # ceil(B*Q/L) <= B*ceil(Q/L)
    parts = ctx.scratch([outputs, *bound], "float64")
    lines, value = term("pc_c", "pc_t")
    return [f"{pieces} = ({terms} + {PIECE_TERMS - 1}) // {PIECE_TERMS}",
            f"for pc_e in range(tid, {outputs} * {pieces}, nth):",
            f"    pc_c = pc_e // {pieces}",
            f"    pc_p = pc_e - pc_c * {pieces}",
            "    pc_acc = 0.0",
            f"    for pc_t in range(pc_p * {PIECE_TERMS}, min({terms}, "
            f"(pc_p + 1) * {PIECE_TERMS})):",
            *["        " + ln for ln in lines],
            f"        pc_acc += {value}",
            f"    {parts.at('pc_e')} = pc_acc",
            SYNC,
            f"for pc_c in range(tid, {outputs}, nth):",
            "    pc_acc = 0.0",
            f"    for pc_p in range({pieces}):",
            f"        pc_acc += {parts.at(f'pc_c * {pieces} + pc_p')}",
            f"    {store('pc_c', 'pc_acc')}"]


from . import binary, elementwise, linalg, losses, optim  # noqa: E402,F401  (registration)
from . import augment, batchnorm, conv, distill, extra_losses, pool, regularize, saliency  # noqa: E402,F401,E501
