"""The typed IR: a graph of tensor ops in SSA form.

One node type (`Node`) applies a registered op (see `ops/`) to input `Value`s and produces output
`Value`s, each with a `TensorType`. The batch dimension is the symbol "B" so the same graph
serves every batch size. A `Graph` lists its nodes in topological order; passes return new
graphs (or rewrite node lists) and `verify` checks the invariants after each one.

Graph inputs have a role:
  "x", "y"      the batch of samples and labels/targets
  "param"       trainable parameters (updated in place by optimizer nodes)
  "slot"        optimizer state (momentum, Adam moments), updated in place
  "scalar"      per-step scalars the runtime feeds: "lr", "step", "seed"
  "hyper"       run-time hyperparameters: 0-d float64 values read once per kernel call
                ("optimizer.momentum", "model.dropout_1.rate"; see build.BuildContext.hyper)
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .types import BATCH, Dim, TensorType  # noqa: F401  (the IR's value types)

_ids = itertools.count()


@dataclass(eq=False)
class Value:
    type: TensorType
    name: str = ""
    role: str = ""                 # for graph inputs: "x" | "y" | "param" | "slot" | "scalar" | ...
    producer: "Node | None" = field(default=None, repr=False)
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def shape(self) -> tuple[Dim, ...]:
        return self.type.shape

    @property
    def dtype(self) -> str:
        return self.type.dtype

    def __repr__(self) -> str:
        return f"%{self.name or self.id}"


@dataclass(eq=False)
class Node:
    op: str
    inputs: tuple[Value, ...]
    attrs: dict[str, Any]
    outputs: tuple[Value, ...] = ()


@dataclass
class Graph:
    """Inputs, nodes in topological order, and named outputs ("loss", "logits", ...)."""

    inputs: list[Value] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    outputs: dict[str, Value] = field(default_factory=dict)

    # -- building -------------------------------------------------------------------------
    def input(self, name: str, type: TensorType, role: str) -> Value:
        v = Value(type, name=name, role=role)
        self.inputs.append(v)
        return v

    def add(self, op: str, *inputs: Value, **attrs: Any) -> Value:
        """Append one node; its output types come from the op's shape rule."""
        outs = self.add_multi(op, *inputs, **attrs)
        if len(outs) != 1:
            raise ValueError(f"op {op} has {len(outs)} outputs; use add_multi")
        return outs[0]

    def add_multi(self, op: str, *inputs: Value, **attrs: Any) -> tuple[Value, ...]:
        from .ops import get_op

        spec = get_op(op)
        types = spec.infer([v.type for v in inputs], attrs)
        node = Node(op, tuple(inputs), dict(attrs))
        node.outputs = tuple(Value(t, producer=node) for t in types)
        self.nodes.append(node)
        return node.outputs

    # -- queries --------------------------------------------------------------------------
    def by_role(self, role: str) -> list[Value]:
        return [v for v in self.inputs if v.role == role]

    def input_named(self, name: str) -> Value:
        for v in self.inputs:
            if v.name == name:
                return v
        raise KeyError(name)

    def consumers(self) -> dict[int, list[Node]]:
        users: dict[int, list[Node]] = {}
        for n in self.nodes:
            for v in n.inputs:
                users.setdefault(v.id, []).append(n)
        return users

    def values(self) -> list[Value]:
        return list(self.inputs) + [o for n in self.nodes for o in n.outputs]


def concrete_shape(shape: tuple[Dim, ...], batch: int) -> tuple[int, ...]:
    return tuple(batch if d == BATCH else int(d) for d in shape)


def verify(g: Graph) -> None:
    """Check SSA and typing invariants; raise AssertionError naming the first broken one."""
    from .ops import get_op

    defined = {v.id for v in g.inputs}
    assert len(defined) == len(g.inputs), "duplicate graph input"
    for i, n in enumerate(g.nodes):
        spec = get_op(n.op)
        for v in n.inputs:
            assert v.id in defined, f"node {i} ({n.op}) uses {v!r} before it is defined"
        if not spec.effect:
            want = spec.infer([v.type for v in n.inputs], n.attrs)
            got = [o.type for o in n.outputs]
            assert list(want) == got, f"node {i} ({n.op}) output types {got} != shape rule {want}"
        for o in n.outputs:
            assert o.id not in defined, f"node {i} ({n.op}) redefines {o!r}"
            assert o.producer is n, f"node {i} ({n.op}) output {o!r} has the wrong producer"
            defined.add(o.id)
        for v in n.outputs if spec.effect else ():
            raise AssertionError(f"effect node {i} ({n.op}) must not have outputs, has {v!r}")
    for name, v in g.outputs.items():
        assert v.id in defined, f"output {name} is not defined in the graph"


def format_graph(g: Graph) -> str:
    """The textual IR, as `recipec compile --emit ir` and `--dump-after` print it: one line per
    node, values numbered in order of definition, a fused group's members indented."""
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
