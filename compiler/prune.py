"""Pruning masks in the training step: `prune { ... }` (compiler/check/prune.py).

Each pruned weight gets a mask, a state tensor of its shape (a StatInfo with `mask_of` set,
named `dense_1.weight:mask`, initially all ones), and its gradient is multiplied by the mask
before clipping and the optimizer's update. The runtime sets the masks at chunk boundaries
(runtime/prune.py) and zeroes the masked weights and their optimizer slots there; a masked
weight's gradient is then exactly 0, so no optimizer (momentum, Adam's moments, weight decay,
an l1 penalty, max_norm) ever moves it again, and its slots stay 0. The mask lives in the
state like batch norm's statistics: checkpoints, resume, the model artefact and every target
carry it without knowing what it is. The prediction graph has no mask: its weights are
already zero.

Why in the IR and not a runtime `w *= mask` after each chunk: between two chunk boundaries
the weights would drift from zero, and the momentum would carry that drift on; multiplying
the gradient keeps them exactly 0 at every step for the cost of one fused multiply.
A recipe without `prune` builds exactly the graph it built before.
"""
from __future__ import annotations

from .build import BuildContext, StatInfo
from .ir import Graph, Value
from .recipe import Recipe

MASK = "mask"


def mask_name(weight: str) -> str:
    return f"{weight}:{MASK}"


def bias_of(weight: str) -> str:
    return weight[: -len("weight")] + "bias"


def mask_gradients(g: Graph, ctx: BuildContext, recipe: Recipe, params: list[Value],
                   grads: dict[int, Value]) -> dict[int, Value]:
    """The gradients with every pruned weight's multiplied by its mask."""
    if recipe.prune is None:
        return grads
    pruned = set(recipe.prune.weights)
    if recipe.prune.method == "l1_filters":     # a removed unit's bias goes with it
        pruned |= {bias_of(w) for w in recipe.prune.weights}
    out = dict(grads)
    for p in params:
        if p.name in pruned:
            info = StatInfo(mask_name(p.name), tuple(int(d) for d in p.shape), 1.0, p.name)
            ctx.stats.append(info)
            mask = g.input(info.name, p.type, "stat")
            out[p.id] = g.add("apply_mask", grads[p.id], mask)
    return out
