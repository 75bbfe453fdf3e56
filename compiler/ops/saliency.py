"""The ops of the input-gradient graph (compiler/saliency.py), which `recipec explain` runs.

Its one data input packs each row's model input and a weight per class, [B, F + C]:
`columns` takes either block out (a copy of columns [start, stop)); `score` is the scalar
sum_ij z_ij w_ij of the logits z against those weights (w one-hot on a class: that class's
logit, summed over the rows), whose gradient with respect to the model's input is each row's
saliency. `score_grad` is its VJP, w times the incoming scalar.
"""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register
from .elementwise import _ew


def _columns_infer(types, attrs):
    (x,) = types
    start, stop = attrs["start"], attrs["stop"]
    if x.rank != 2 or not 0 <= start < stop <= int(x.shape[1]):
        raise ValueError(f"columns [{start}, {stop}) of {x}")
    return [TensorType((x.shape[0], stop - start), x.dtype)]


# no VJP: the packed rows are data, and the gradient stops at the block taken (autodiff's
# path starts at the values it differentiates with respect to)
register(OpDef("columns", _columns_infer, lambda x, *, start, stop: x[:, start:stop].copy(),
               doc="columns [start, stop) of a [B, W] matrix, copied"))
register(OpDef(
    "score", lambda types, attrs: [TensorType((), types[0].dtype)],
    lambda z, w: z.dtype.type((z.astype(np.float64) * w.astype(np.float64)).sum()),
    vjp=lambda g, n, ct: [g.add("score_grad", n.inputs[1], ct[0]), None],
    doc="sum of z * w over every element (two [B, C] matrices): a chosen logit per row"))
_ew("score_grad", lambda w, d, **_: (w * np.float32(d)).astype(w.dtype),
    lambda x, at, flat: x[0] * x[1], doc="w times the scalar cotangent d")
