"""Reverse-mode autodiff as a pass: append the cotangent computation to the same graph.

Walk the nodes that lie between the parameters and the loss in reverse order; each op's VJP rule
appends the ops computing its inputs' cotangents. A value used several times (a residual
connection) sums its cotangents with `add`.
"""
from __future__ import annotations

from ..ir import Graph, TensorType, Value
from ..ops import get_op


def _on_path(g: Graph, wrt: list[Value], loss: Value) -> set[int]:
    """Ids of nodes that read some `wrt` value (or what one computes) and feed `loss`. A node
    that computes a `wrt` value itself is not on the path: the gradient stops there (the
    input-gradient graph differentiates with respect to a block it copies out of its rows)."""
    depends = {v.id for v in wrt}
    for n in g.nodes:
        if any(v.id in depends for v in n.inputs):
            depends.update(o.id for o in n.outputs)
    feeds = {loss.id}
    on_path = set()
    for n in reversed(g.nodes):
        if any(o.id in feeds for o in n.outputs) and any(v.id in depends for v in n.inputs):
            on_path.add(id(n))
            feeds.update(v.id for v in n.inputs)
    return on_path


def grad(g: Graph, loss: Value, wrt: list[Value]) -> dict[int, Value]:
    """Append d(loss)/d(v) for each v in `wrt`; returns {v.id: gradient value}."""
    assert loss.type.shape == (), "the loss must be a scalar"
    on_path = _on_path(g, wrt, loss)
    forward = list(g.nodes)
    one = g.input("loss_seed", TensorType((), loss.dtype), "const")
    cotangent: dict[int, Value] = {loss.id: one}
    for node in reversed(forward):
        if id(node) not in on_path:
            continue
        cts = [cotangent.get(o.id) for o in node.outputs]
        if all(c is None for c in cts):
            continue
        spec = get_op(node.op)
        if spec.vjp is None:
            raise NotImplementedError(f"op {node.op} has no VJP rule but lies on the gradient path")
        for v, ct in zip(node.inputs, spec.vjp(g, node, cts)):
            if ct is None or not v.dtype.startswith("float"):
                continue
            prev = cotangent.get(v.id)
            cotangent[v.id] = ct if prev is None else g.add("add", prev, ct)
    missing = [v.name for v in wrt if v.id not in cotangent]
    if missing:
        raise ValueError(f"the loss does not depend on {', '.join(missing)}")
    return {v.id: cotangent[v.id] for v in wrt}
