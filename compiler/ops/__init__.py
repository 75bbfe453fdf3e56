"""The op registry: every IR primitive is defined in one place.

An `OpDef` holds the math only, side by side (as JAX keeps a primitive's rules together):
  infer      shape rule: input TensorTypes + attrs -> output TensorTypes
  reference  numpy implementation: the test oracle and the reference interpreter
  vjp        reverse-mode rule: appends ops computing the input cotangents to the graph
  formula    for elementwise ops: the expression tree of one element (ops/formula.py), which
             every target renders in its own syntax (fusable)
How an op runs on a target is that target's business: each target registers an emitter per op
name (compiler/lower/cpu/emitters/ for Numba CPU), and nothing here imports compiler/lower/.
An op with `effect=True` updates its inputs in place (optimizer updates) and has no outputs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..types import TensorType


@dataclass(frozen=True)
class OpDef:
    name: str
    infer: Callable[[list[TensorType], dict[str, Any]], list[TensorType]]
    reference: Callable[..., Any]
    vjp: Callable | None = None
    formula: Callable | None = None
    effect: bool = False
    alias: bool = False        # output is a view of its input (no buffer of its own)
    doc: str = ""

    @property
    def elementwise(self) -> bool:
        return self.formula is not None


OPS: dict[str, OpDef] = {}


def register(op: OpDef) -> OpDef:
    assert op.name not in OPS, f"op {op.name} registered twice"
    OPS[op.name] = op
    return op


def get_op(name: str) -> OpDef:
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"unknown IR op {name!r}") from None


def broadcast_types(types: list[TensorType]) -> TensorType:
    """Numpy broadcasting of shapes aligned on the right; all float inputs share a dtype."""
    rank = max(t.rank for t in types)
    out: list[Any] = []
    for axis in range(rank):
        dims = {t.shape[axis - rank + t.rank] for t in types if axis - rank + t.rank >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ValueError(f"shapes {[list(t.shape) for t in types]} do not broadcast")
        out.append(dims.pop() if dims else 1)
    return TensorType(tuple(out), types[0].dtype)


from . import activations, augment, batchnorm, conv, elementwise, fused, linalg, losses  # noqa: E402,F401
from . import epilogue, optim, regularize, structural, winners  # noqa: E402,F401  (registration)
from . import binary, ce_weighted, distill, margin, prune, quantize, regression_losses  # noqa: E402,F401,E501
from . import saliency  # noqa: E402,F401
