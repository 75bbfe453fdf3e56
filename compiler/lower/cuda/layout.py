"""Where every tensor of a CUDA kernel lives: two flat device arrays, an arena per dtype.

Why an arena: a Numba CUDA kernel's parameters are limited to 4 KiB and each array argument
takes ~56 bytes of it, so a model with a few layers, their Adam slots and the step's buffers
would not fit as separate arguments. Instead every float32 tensor is a slice of one float32
array `F` and every int64 one of one int64 array `I`: the state tensors first (fixed offsets,
so `state()` is one copy of F's head), then one buffer per value the step computes, sized for
`BMAX` rows (the kernel's batch capacity, an argument, so a new batch size compiles nothing).
Offsets are written into the kernel as expressions `a + b * BMAX`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ...ir import BATCH, Graph, Value
from .. import abi

ARENAS = {"float32": "F", "int64": "I", "float64": "D"}   # D: fixed-order sums' partials


@dataclass(frozen=True)
class Linear:
    """a + b * BMAX elements."""
    a: int = 0
    b: int = 0

    def __add__(self, other: "Linear") -> "Linear":
        return Linear(self.a + other.a, self.b + other.b)

    def at(self, bmax: int) -> int:
        return self.a + self.b * bmax

    def source(self) -> str:
        if not self.b:
            return str(self.a)
        return f"{self.a} + {self.b} * BMAX" if self.a else f"{self.b} * BMAX"


def size_of(v: Value) -> Linear:
    """Elements of `v` (at least one: a scalar the step computes is a 1-element slot)."""
    return size_of_dims(v.shape)


def size_of_dims(dims) -> Linear:
    fixed = math.prod(int(d) for d in dims if d != BATCH)
    return Linear(0, fixed) if BATCH in dims else Linear(max(fixed, 1), 0)


@dataclass
class Layout:
    """Offsets (Linear) of the state tensors and the step's buffers, by value id."""
    offsets: dict[int, tuple[str, Linear]]
    state: dict[str, tuple[str, int, tuple[int, ...]]]   # name -> (arena, offset, shape)
    ends: dict[str, Linear]                             # arena -> its total size

    def size(self, arena: str, bmax: int) -> int:
        return max(1, self.ends.get(arena, Linear()).at(bmax))

    def reserve(self, arena: str, dims) -> Linear:
        """A scratch region of `dims` elements at the arena's end; its offset."""
        start = self.ends[arena]
        self.ends[arena] = start + size_of_dims(dims)
        return start


def state_tensors(g: Graph) -> list[Value]:
    return [v for role in abi.STATE_ROLES for v in g.inputs if v.role == role]


def plan(g: Graph, state_from: "Layout | None" = None) -> Layout:
    """The layout of graph `g`. `state_from` (the training graph's) fixes the state tensors'
    offsets, so the prediction kernel reads the parameters where training left them."""
    from ...ops import get_op

    ends = {"F": Linear(), "I": Linear(), "D": Linear()}
    offsets: dict[int, tuple[str, Linear]] = {}
    state: dict[str, tuple[str, int, tuple[int, ...]]] = {}
    if state_from is not None:
        state = dict(state_from.state)
        ends = {k: Linear(v.a, 0) for k, v in _state_ends(state).items()}
        for v in state_tensors(g):
            arena, off, _ = state[v.name]
            offsets[v.id] = (arena, Linear(off, 0))
    else:
        for v in state_tensors(g):
            arena = ARENAS[v.dtype]
            offsets[v.id] = (arena, ends[arena])
            state[v.name] = (arena, ends[arena].a, tuple(int(d) for d in v.shape))
            ends[arena] = ends[arena] + size_of(v)
    for v in g.inputs:
        if v.role in ("x", "y"):
            arena = ARENAS[v.dtype]
            offsets[v.id] = (arena, ends[arena])
            ends[arena] = ends[arena] + size_of(v)
    for node in g.nodes:
        spec = get_op(node.op)
        for k, out in enumerate(node.outputs):
            if spec.alias:                   # a view of its input: the same elements
                offsets[out.id] = offsets[node.inputs[k].id]
                continue
            arena = ARENAS[out.dtype]
            offsets[out.id] = (arena, ends[arena])
            ends[arena] = ends[arena] + size_of(out)
    return Layout(offsets, state, ends)


def _state_ends(state) -> dict[str, Linear]:
    ends = {"F": Linear(), "I": Linear(), "D": Linear()}
    for arena, off, shape in state.values():
        ends[arena] = Linear(max(ends[arena].a, off + max(1, math.prod(shape))), 0)
    return ends
