"""The numpy reference interpreter: runs any IR graph op by op. The test oracle, never the
fast path (it dispatches in Python per op per step)."""
from __future__ import annotations

from typing import Any

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


def run_graph(g: Graph, feeds: dict[str, Any]) -> dict[str, Any]:
    """`feeds` maps input names to arrays (parameters and slots are updated in place)."""
    env: dict[int, Any] = {}
    for v in g.inputs:
        if v.role == "const":
            env[v.id] = CONSTANTS[v.name]
        else:
            env[v.id] = feeds[v.name]
    for node in g.nodes:
        run_node(node, env)
    return {name: env[v.id] for name, v in g.outputs.items()}


def format_graph(g: Graph) -> str:
    """The textual IR, as `recipec compile --emit ir` prints it."""
    names: dict[int, str] = {}
    for v in g.inputs:
        names[v.id] = f"%{v.name}"
    count = 0

    def name(v):
        nonlocal count
        if v.id not in names:
            names[v.id] = f"%{count}"
            count += 1
        return names[v.id]

    lines = ["inputs:"]
    for v in g.inputs:
        lines.append(f"  {name(v)}: {v.type}  ({v.role})")
    lines.append("body:")

    def attrs_text(n: Node) -> str:
        shown = {k: v for k, v in n.attrs.items() if k not in ("body", "inputs", "outputs")}
        return (" {" + ", ".join(f"{k}={v}" for k, v in shown.items()) + "}") if shown else ""

    def emit(n: Node, indent: str):
        args = ", ".join(name(v) for v in n.inputs)
        if n.op == "fused":
            outs = ", ".join(name(o) for o in n.outputs)
            lines.append(f"{indent}{outs} = fused({args}) {{")
            for inner in n.attrs["body"]:
                emit(inner, indent + "    ")
            lines.append(f"{indent}}}")
            return
        if n.outputs:
            lhs = ", ".join(f"{name(o)}: {o.type}" for o in n.outputs)
            lines.append(f"{indent}{lhs} = {n.op}({args}){attrs_text(n)}")
        else:
            lines.append(f"{indent}{n.op}({args}){attrs_text(n)}")

    for n in g.nodes:
        emit(n, "  ")
    lines.append("outputs:")
    for k, v in g.outputs.items():
        lines.append(f"  {k} = {name(v)}")
    return "\n".join(lines)
