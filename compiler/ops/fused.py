"""A fused group of elementwise ops: one loop nest, intermediates kept in registers.

The fusion pass builds `fused` nodes; `attrs["body"]` lists the member nodes in order,
`attrs["inputs"]` / `attrs["outputs"]` the values crossing the group's boundary.
"""
from __future__ import annotations

from . import OpDef, register


def _fused_ref(*arrays, body, inputs, outputs):
    from ..interpret import run_node

    env = {v.id: a for v, a in zip(inputs, arrays)}
    for node in body:
        run_node(node, env)
    return tuple(env[v.id] for v in outputs)


register(OpDef(
    "fused", lambda types, attrs: [o.type for o in attrs["outputs"]], _fused_ref,
    doc="several elementwise ops in one loop nest (built by passes/fuse.py)",
))
