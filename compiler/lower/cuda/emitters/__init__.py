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


from . import binary, elementwise, linalg, losses, optim  # noqa: E402,F401  (registration)
from . import augment, batchnorm, conv, extra_losses, pool, regularize  # noqa: E402,F401
