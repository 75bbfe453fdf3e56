"""Backend-neutral formulas for elementwise ops: a tiny expression tree every target renders.

An elementwise op gives `formula(args, attrs, flat) -> Expr`: the value of one output element
from the expressions of its inputs' elements and of the element's flat index. The CPU target
renders a tree as Numba source (lower/cpu/emitters/elementwise.py); a CUDA target renders the
same tree with its own math functions. Nothing here knows any target's syntax.

Operators build trees: `where(x > 0, d, 0.0)` or `x * 0.5`; plain Python numbers become
float32 constants (`const(3, "int")` for integer ones, such as an RNG salt).
A run-time hyperparameter is an input whose element is a float64 scalar (graph role "hyper"):
`to_f32(rate)` rounds it, or float64 arithmetic on it (`const(1.0, "f64") - rate`), to the
float32 value that a literal `np.float32(...)` of the same number would be.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The vocabulary a target must render. "call" names a helper of the target's own runtime (the
# counter RNG's functions, ops/rng.py), with the same meaning on every target.
OPS = ("input", "flat", "const", "add", "sub", "mul", "div", "neg", "max", "min", "gt", "where",
       "exp", "expm1", "log1p", "tanh", "erf", "f32", "call")


@dataclass(frozen=True, eq=False)
class Expr:
    op: str
    args: tuple["Expr", ...] = ()
    value: Any = None              # input: its name in the caller; const: (number, kind); call: fn

    def __add__(self, other): return Expr("add", (self, lift(other)))
    def __radd__(self, other): return Expr("add", (lift(other), self))
    def __sub__(self, other): return Expr("sub", (self, lift(other)))
    def __rsub__(self, other): return Expr("sub", (lift(other), self))
    def __mul__(self, other): return Expr("mul", (self, lift(other)))
    def __rmul__(self, other): return Expr("mul", (lift(other), self))
    def __truediv__(self, other): return Expr("div", (self, lift(other)))
    def __rtruediv__(self, other): return Expr("div", (lift(other), self))
    def __neg__(self): return Expr("neg", (self,))
    def __gt__(self, other): return Expr("gt", (self, lift(other)))


def lift(v) -> Expr:
    return v if isinstance(v, Expr) else const(v)


def const(number, kind: str = "f32") -> Expr:
    """A constant: kind "f32" (float32 arithmetic stays float32), "f64" or "int"."""
    return Expr("const", value=(number, kind))


def input_(name: str) -> Expr:
    """An input element: `name` is whatever the renderer gave it (a local, a register)."""
    return Expr("input", value=name)


def flat(name: str) -> Expr:
    """The flat (row-major) index of the element being computed."""
    return Expr("flat", value=name)


def where(cond: Expr, a, b) -> Expr:
    return Expr("where", (cond, lift(a), lift(b)))


def maximum(a, b) -> Expr:
    return Expr("max", (lift(a), lift(b)))


def minimum(a, b) -> Expr:
    return Expr("min", (lift(a), lift(b)))


def exp(a: Expr) -> Expr:
    return Expr("exp", (a,))


def expm1(a: Expr) -> Expr:
    """exp(a) - 1 without the cancellation near 0 (elu's negative side, as PyTorch's)."""
    return Expr("expm1", (a,))


def log1p(a: Expr) -> Expr:
    """log(1 + a), exact for small a (softplus)."""
    return Expr("log1p", (a,))


def erf(a: Expr) -> Expr:
    """The error function (gelu's exact form)."""
    return Expr("erf", (a,))


def tanh(a: Expr) -> Expr:
    return Expr("tanh", (a,))


def to_f32(a: Expr) -> Expr:
    """`a` rounded to float32 (a float64 hyperparameter, or arithmetic on one)."""
    return Expr("f32", (a,))


def call(function: str, *args) -> Expr:
    return Expr("call", tuple(lift(a) for a in args), function)


def walk(e: Expr):
    yield e
    for a in e.args:
        yield from walk(a)
