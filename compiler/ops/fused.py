"""A fused group of elementwise ops: one loop nest, intermediates kept in registers.

The fusion pass builds `fused` nodes; `attrs["body"]` lists the member nodes in order,
`attrs["inputs"]` / `attrs["outputs"]` the values crossing the group's boundary.
"""
from __future__ import annotations

from . import OpDef, get_op, register


def _fused_ref(*arrays, body, inputs, outputs):
    """The members' references in order (elementwise ops have one output each)."""
    env = {v.id: a for v, a in zip(inputs, arrays)}
    for node in body:
        env[node.outputs[0].id] = get_op(node.op).reference(
            *(env[v.id] for v in node.inputs), **node.attrs)
    return tuple(env[v.id] for v in outputs)


register(OpDef(
    "fused", lambda types, attrs: [o.type for o in attrs["outputs"]], _fused_ref,
    doc="several elementwise ops in one loop nest (built by passes/fuse.py)",
))
