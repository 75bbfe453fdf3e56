"""Feed a convolution's backward pass with the max-pool windows' winners, not a dense gradient.

    d = maxpool_grad(y, dp)  or  maxpool_relu_grad(y, dp)
    ... conv_grad_weight(x, d), conv_grad_input(d, w), reduce_sum(d, all axes but 1)
=>
    pos, g = maxpool_winners(y, dp)
    ... conv_grad_weight_winners(x, pos, g), conv_grad_input_winners(pos, g, w), reduce_sum(g)

ops/winners.py says what the ops compute. Rewritten only when every use of d is one of those
three (so d is never built), at least one is a convolution, and each convolution's receptive
field row (kernel width x input channels) fills a vector: the winner kernels loop over those
rows, and a first layer's (1 channel, 3 or 5 wide) ran slower than the dense GEMM.
"""
from __future__ import annotations

from ....ir import Graph, Node, Value
from ....ops import get_op

MIN_ROW = 16        # floats in one receptive-field row; one AVX-512 vector


def _row(kernel, channels) -> int:
    return int(kernel[-1]) * int(channels)


def _rewritable(d: Value, users: list[Node]) -> bool:
    convs = 0
    for u in users:
        if u.op == "conv_grad_weight" and u.inputs[1] is d and u.inputs[0] is not d:
            convs += 1
            if _row(u.attrs["kernel"], u.inputs[0].shape[1]) < MIN_ROW:
                return False
        elif u.op == "conv_grad_input" and u.inputs[0] is d and u.inputs[1] is not d:
            convs += 1
            w = u.inputs[1]
            if _row(w.shape[2:], w.shape[1]) < MIN_ROW:
                return False
        elif u.op == "reduce_sum" and u.inputs[0] is d:
            if sorted(u.attrs["axes"]) != [0] + list(range(2, len(d.shape))):
                return False
        else:
            return False
    return convs > 0


def _node(op: str, inputs: tuple, attrs: dict, outputs: tuple | None = None) -> Node:
    """A node of `op`; with no `outputs`, new values of the types its shape rule gives."""
    node = Node(op, inputs, attrs)
    if outputs is None:
        types = get_op(op).infer([v.type for v in inputs], attrs)
        outputs = tuple(Value(t) for t in types)
    node.outputs = tuple(outputs)
    for o in node.outputs:
        o.producer = node
    return node


def _rewrite_user(u: Node, pos: Value, g: Value, out_size: tuple) -> Node:
    if u.op == "reduce_sum":                 # a bias gradient: the zeros add nothing
        return _node("reduce_sum", (g,), dict(u.attrs), u.outputs)
    conv = {"stride": u.attrs["stride"], "padding": u.attrs["padding"], "out_size": out_size}
    if u.op == "conv_grad_weight":
        return _node("conv_grad_weight_winners", (u.inputs[0], pos, g),
                     {**conv, "kernel": u.attrs["kernel"]}, u.outputs)
    if u.op == "conv_grad_input":
        return _node("conv_grad_input_winners", (pos, g, u.inputs[1]),
                     {**conv, "in_size": u.attrs["in_size"]}, u.outputs)


def use_pool_winners(g: Graph) -> Graph:
    users: dict[int, list[Node]] = {}
    for n in g.nodes:
        for v in set(n.inputs):
            users.setdefault(v.id, []).append(n)
    outputs = {v.id for v in g.outputs.values()}
    replaced: dict[int, Node] = {}          # id(old node) -> its replacement
    for n in g.nodes:
        if n.op not in ("maxpool_grad", "maxpool_relu_grad"):
            continue
        d = n.outputs[0]
        if d.id in outputs or not _rewritable(d, users.get(d.id, [])):
            continue
        y, dp = n.inputs
        winners = _node("maxpool_winners", (y, dp),
                        {"size": n.attrs["size"], "stride": n.attrs["stride"],
                         "relu": n.op == "maxpool_relu_grad"})
        pos, grad = winners.outputs
        replaced[id(n)] = winners
        for u in users[d.id]:
            replaced[id(u)] = _rewrite_user(u, pos, grad, tuple(int(s) for s in d.shape[2:]))
    return Graph(list(g.inputs), [replaced.get(id(n), n) for n in g.nodes], dict(g.outputs))
