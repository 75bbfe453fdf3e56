"""Elementwise formulas (ops/formula.py) as Python-syntax source, for the targets whose kernels
are written in Numba's Python subset (the CPU's njit, the CUDA target's cuda.jit). A target
names its math functions and how a float32 result is kept float32; the tree walk is shared."""
from __future__ import annotations

from dataclasses import dataclass

from ..ops.formula import Expr

BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "gt": ">"}


@dataclass(frozen=True)
class Syntax:
    target: str                               # for the error message
    unary: dict[str, str]                     # formula op -> function, e.g. "exp" -> "np.exp"
    keep_f32: bool = False                    # cast each unary result back to float32


def render(e: Expr, syntax: Syntax) -> str:
    """Source of one formula."""
    if e.op in ("input", "flat"):
        return e.value
    if e.op == "const":
        number, kind = e.value
        if kind == "int":
            return str(int(number))
        return repr(float(number)) if kind == "f64" else f"np.float32({float(number)!r})"
    args = [render(a, syntax) for a in e.args]
    if e.op in BINARY:
        return f"({args[0]} {BINARY[e.op]} {args[1]})"
    if e.op == "neg":
        return f"(-{args[0]})"
    if e.op in ("max", "min"):
        return f"{e.op}({args[0]}, {args[1]})"
    if e.op == "where":
        return f"({args[1]} if {args[0]} else {args[2]})"
    if e.op in syntax.unary:
        call = f"{syntax.unary[e.op]}({args[0]})"
        return f"np.float32({call})" if syntax.keep_f32 else call
    if e.op == "f32":
        return f"np.float32({args[0]})"
    if e.op == "call":        # the counter RNG's helpers (each target's rng.py)
        return f"_{e.value}({', '.join(args)})"
    raise NotImplementedError(f"the {syntax.target} target cannot render formula op {e.op!r}")
