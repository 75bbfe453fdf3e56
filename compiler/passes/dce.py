"""Dead-code elimination: VJP rules emit every cotangent; the unused ones go here."""
from __future__ import annotations

from ..ir import Graph
from ..ops import get_op


def dead_code_elimination(g: Graph) -> Graph:
    live = {v.id for v in g.outputs.values()}
    kept = []
    for n in reversed(g.nodes):
        if get_op(n.op).effect or any(o.id in live for o in n.outputs):
            kept.append(n)
            live.update(v.id for v in n.inputs)
    return Graph(list(g.inputs), kept[::-1], dict(g.outputs))
