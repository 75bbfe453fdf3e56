"""The numpy reference interpreter: runs any IR graph op by op. The test oracle, never the
fast path (it dispatches in Python per op per step)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .ir import Graph, Node
from .ops import get_op

CONSTANTS = {"loss_seed": np.float32(1.0)}


def run_node(node: Node, env: dict[int, Any]) -> None:
    spec = get_op(node.op)
    result = spec.reference(*(env[v.id] for v in node.inputs), **node.attrs)
    if spec.effect:
        return
    outs = result if isinstance(result, tuple) else (result,)
    assert len(outs) == len(node.outputs), f"{node.op}: reference returned {len(outs)} outputs"
    for v, a in zip(node.outputs, outs):
        env[v.id] = a


def run_graph(g: Graph, feeds: dict[str, Any], hypers: Iterable = ()) -> dict[str, Any]:
    """`feeds` maps input names to arrays (parameters and slots are updated in place).
    Run-time hyperparameters (inputs of role "hyper") not in `feeds` take their value from
    `hypers`, HyperInfo rows such as StepGraphs.hypers."""
    values = {h.name: np.float64(h.value) for h in hypers}
    env: dict[int, Any] = {}
    for v in g.inputs:
        if v.role == "const":
            env[v.id] = CONSTANTS[v.name]
        elif v.role == "hyper" and v.name not in feeds:
            env[v.id] = values[v.name]
        else:
            env[v.id] = feeds[v.name]
    for node in g.nodes:
        run_node(node, env)
    return {name: env[v.id] for name, v in g.outputs.items()}
