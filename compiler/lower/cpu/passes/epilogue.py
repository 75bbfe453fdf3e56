"""Fold an elementwise consumer into the product, convolution or pooling gradient it reads.

After fusion a dense or conv layer is still two passes over its output: the product, then a
loop adding the bias and applying ReLU (and, backwards, the product or pooling gradient, then
ReLU's mask). Folded, the kernel applies the bias/ReLU/mask to each block of its result while
the block is in cache, and the recipe's own kernel keeps no loop (and no parallel region) for
it: every one cost memory traffic at run time and ~0.3-0.5 s of compile.

Patterns (the producer's result must have no other use):
  conv(x, w)          -> add(., bias)            [-> relu]   => conv_bias_act(x, w, bias)
  matmul(a, b)        -> add(., bias[N])         [-> relu]   => matmul_epilogue(a, b, bias)
  matmul(a, b)        -> relu_grad(y, .)                     => matmul_epilogue(a, b, y)
  maxpool_grad(x, dy) -> relu_grad(x, .)                     => maxpool_relu_grad(x, dy)
(`add -> relu` is the fusion pass's two-op group.) The new node takes the producer's place and
the consumer's output value.
"""
from __future__ import annotations

from collections import Counter

from ....ir import Graph, Node, Value


def _bias_consumer(c: Node, y: Value) -> tuple[Value, bool] | None:
    """(bias, relu?) when `c` is add(y, bias) or the fused group [add(y, bias), relu]."""
    body = c.attrs["body"] if c.op == "fused" else [c]
    if not 1 <= len(body) <= 2 or body[0].op != "add" or body[0].inputs[0] is not y:
        return None
    if len(body) == 2:
        relu = body[1]
        if relu.op != "relu" or relu.inputs[0] is not body[0].outputs[0] or \
                list(c.outputs) != [relu.outputs[0]]:
            return None
    return body[0].inputs[1], len(body) == 2


def _fold_bias(n: Node, c: Node) -> Node | None:
    y = n.outputs[0]
    found = _bias_consumer(c, y)
    if found is None:
        return None
    bias, relu = found
    if n.op == "conv":
        if tuple(bias.shape) != (y.shape[1],) + (1,) * (len(y.shape) - 2):
            return None
        return Node("conv_bias_act", n.inputs + (bias,), {**n.attrs, "act": relu})
    if tuple(bias.shape) != (y.shape[1],):
        return None
    return Node("matmul_epilogue", n.inputs + (bias,),
                {**n.attrs, "ep": "bias_relu" if relu else "bias"})


def _fold_relu_grad(n: Node, c: Node) -> Node | None:
    if c.op != "relu_grad" or c.inputs[1] is not n.outputs[0]:
        return None
    y = c.inputs[0]
    if n.op == "matmul":
        return Node("matmul_epilogue", n.inputs + (y,), {**n.attrs, "ep": "relu_mask"})
    if n.op == "maxpool_grad" and n.inputs[0] is y:
        return Node("maxpool_relu_grad", n.inputs, dict(n.attrs))
    return None


def fold_epilogues(g: Graph) -> Graph:
    uses: Counter = Counter(v.id for n in g.nodes for v in n.inputs)
    uses.update(v.id for v in g.outputs.values())
    consumer = {v.id: n for n in g.nodes for v in n.inputs}
    # where each value becomes available: the folded node takes the producer's place, so the
    # operand it adds (a bias, ReLU's output) must exist by then
    ready = {v.id: -1 for v in g.inputs}
    ready.update({o.id: i for i, n in enumerate(g.nodes) for o in n.outputs})
    replaced: dict[int, Node] = {}      # id(producer) -> folded node
    dropped: set[int] = set()           # id(consumer) of every fold
    for i, n in enumerate(g.nodes):
        if n.op not in ("conv", "matmul", "maxpool_grad") or len(n.outputs) != 1 \
                or uses[n.outputs[0].id] != 1 or id(n) in dropped:
            continue
        c = consumer[n.outputs[0].id]
        folded = (_fold_bias(n, c) if n.op != "maxpool_grad" and c.op in ("add", "fused")
                  else _fold_relu_grad(n, c))
        if folded is None or any(ready.get(v.id, len(g.nodes)) >= i for v in folded.inputs):
            continue
        folded.outputs = c.outputs
        for o in c.outputs:
            o.producer = folded
        replaced[id(n)] = folded
        dropped.add(id(c))
    nodes = [replaced.get(id(n), n) for n in g.nodes if id(n) not in dropped]
    return Graph(list(g.inputs), nodes, dict(g.outputs))
