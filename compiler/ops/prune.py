"""The pruning mask in the training step (compiler/prune.py builds it in).

  apply_mask    a gradient times its weight's 0/1 mask, elementwise: a pruned weight's
                gradient is exactly 0, so with its value and optimizer slots zeroed when the
                mask was set (runtime/prune.py) no optimizer moves it again
"""
from __future__ import annotations

from . import OpDef, register
from .elementwise import _infer

register(OpDef(
    "apply_mask", _infer, lambda g, mask: (g * mask).astype(g.dtype),
    formula=lambda x, at, flat: x[0] * x[1],
    doc="inputs (grad, mask [same shape, 0 or 1]): the gradient where the mask is 1, else 0",
))
