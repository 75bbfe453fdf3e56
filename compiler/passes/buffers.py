"""Buffer planning: which values of a step can share one preallocated array.

Every non-scalar value computed in the step body needs memory; a buffer whose value has been
read for the last time can hold a later value of the same shape and dtype. Reuse starts only
at the node *after* the last read, so no op ever writes into an array it is still reading
(np.dot's `out` must not alias its operands). Views (reshape) extend their base's lifetime.

The plan is an analysis, not a rewrite: lowering asks it for each value's buffer name.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Graph, Value
from ..ops import get_op


@dataclass
class BufferPlan:
    buffer_of: dict[int, int] = field(default_factory=dict)   # value id -> buffer index
    buffers: list[Value] = field(default_factory=list)        # one representative per buffer

    @property
    def count(self) -> int:
        return len(self.buffers)


def plan_buffers(g: Graph) -> BufferPlan:
    base: dict[int, int] = {}                  # alias value id -> the value that owns memory
    last_use: dict[int, int] = {}
    for i, node in enumerate(g.nodes):
        spec = get_op(node.op)
        for v in node.inputs:
            last_use[base.get(v.id, v.id)] = i
        if spec.alias:
            for o in node.outputs:
                base[o.id] = base.get(node.inputs[0].id, node.inputs[0].id)
    for v in g.outputs.values():
        last_use[base.get(v.id, v.id)] = len(g.nodes)

    plan = BufferPlan()
    free: dict[tuple, list[int]] = {}
    releases: dict[int, list[int]] = {}        # node index -> buffers free after it
    for i, node in enumerate(g.nodes):
        spec = get_op(node.op)
        if not spec.alias:
            for o in node.outputs:
                if not o.shape:
                    continue                   # scalars live in registers
                key = (tuple(o.shape), o.dtype)
                pool = free.get(key)
                index = pool.pop() if pool else None
                if index is None:
                    index = len(plan.buffers)
                    plan.buffers.append(o)
                plan.buffer_of[o.id] = index
                # a value nobody reads is dead once written
                releases.setdefault(last_use.get(o.id, i), []).append(index)
        for index in releases.pop(i, []):
            v = plan.buffers[index]
            free.setdefault((tuple(v.shape), v.dtype), []).append(index)
    return plan
