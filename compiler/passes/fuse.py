"""Fuse runs of neighbouring elementwise ops with the same output shape into one loop nest.

Bias add + activation in the forward pass and activation derivatives in the backward pass each
become a single pass over memory. Only values read after the group get a buffer.
"""
from __future__ import annotations

from ..ir import Graph, Node
from ..ops import get_op


def _shape_key(n: Node):
    return tuple(n.outputs[0].shape)


def _close(group: list[Node], g: Graph, later_uses: dict[int, int]) -> Node:
    if len(group) == 1:
        return group[0]
    ids = {o.id for n in group for o in n.outputs}
    inputs, seen = [], set()
    for n in group:
        for v in n.inputs:
            if v.id not in ids and v.id not in seen:
                seen.add(v.id)
                inputs.append(v)
    outputs = [o for n in group for o in n.outputs if later_uses.get(o.id, 0)]
    node = Node("fused", tuple(inputs), {"body": group, "inputs": inputs, "outputs": outputs})
    node.outputs = tuple(outputs)
    for o in outputs:
        o.producer = node
    return node


def fuse_elementwise(g: Graph) -> Graph:
    # Count, for every value, how many uses lie outside the node that produced it: after fusion a
    # value needs a buffer only if some node outside its group (or a graph output) reads it.
    nodes = g.nodes
    out_ids = {v.id for v in g.outputs.values()}
    result: list[Node] = []
    group: list[Node] = []

    def flush(upto: int):
        if group:
            ids = {o.id for n in group for o in n.outputs}
            uses = {i: 1 for i in ids if i in out_ids}
            for n in nodes[upto:]:
                for v in n.inputs:
                    if v.id in ids:
                        uses[v.id] = 1
            result.append(_close(list(group), g, uses))
            group.clear()

    for i, n in enumerate(nodes):
        if get_op(n.op).elementwise and n.outputs[0].type.rank > 0:
            if group and _shape_key(group[0]) != _shape_key(n):
                flush(i)
            group.append(n)
        else:
            flush(i)
            result.append(n)
    flush(len(nodes))
    return Graph(list(g.inputs), result, dict(g.outputs))
