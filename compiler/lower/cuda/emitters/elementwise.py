"""Elementwise work as one grid-stride loop: formulas (ops/formula.py) rendered as device code.

A `fused` node (passes/fuse.py) is one loop whose intermediates stay in registers; a lone
elementwise node is a group of one. Math goes through `math.*` (Numba CUDA maps it to libdevice;
float32 arguments stay float32 there) and every result is cast back to float32, so the
simulator, which runs this as Python, rounds where the device does.
"""
from __future__ import annotations

from ....ir import Node
from ....ops import get_op
from ....ops.formula import Expr, flat as flat_index, input_
from ...render import Syntax, render as render_with
from . import emitter, grid_loop

SYNTAX = Syntax("CUDA", {"exp": "math.exp", "expm1": "math.expm1", "log1p": "math.log1p",
                         "tanh": "math.tanh", "erf": "math.erf"}, keep_f32=True)


def render(e: Expr) -> str:
    return render_with(e, SYNTAX)


def emit_elementwise(body: list[Node], external: set[int], ctx) -> list[str]:
    """One grid-stride loop computing every node of `body`; stores those whose id is external."""
    out_shape = ctx.shape(body[-1].outputs[0])
    if not out_shape:
        raise NotImplementedError("the CUDA target has no elementwise op on scalars")
    lines: list[str] = []
    local: dict[int, str] = {}
    for node in body:
        args = []
        for v in node.inputs:
            if v.id not in local:
                local[v.id] = ctx.fresh("ld")
                lines.append(f"{local[v.id]} = {ctx.broadcast(v, out_shape, 'e')}")
            args.append(input_(local[v.id]))
        expr = render(get_op(node.op).formula(args, node.attrs, flat_index("e")))
        out = node.outputs[0]
        tmp = ctx.fresh("t")
        lines.append(f"{tmp} = {expr}")
        local[out.id] = tmp
        if out.id in external:
            lines.append(f"{ctx.at(out, 'e')} = {tmp}")
    return grid_loop("e", " * ".join(out_shape), lines)


@emitter("fused")
def _fused_emit(node, ctx):
    return emit_elementwise(node.attrs["body"], {o.id for o in node.outputs}, ctx)
