"""Ops that only reinterpret memory."""
from __future__ import annotations

import math

from ..types import BATCH, TensorType
from . import OpDef, register


def _reshape_infer(types, attrs):
    (x,) = types
    shape = tuple(attrs["shape"])
    known = [d for d in x.shape if d != BATCH]
    new = [d for d in shape if d != BATCH]
    if (BATCH in x.shape) != (BATCH in shape) or math.prod(known) != math.prod(new):
        raise ValueError(f"cannot reshape {x} to {list(shape)}")
    return [TensorType(shape, x.dtype)]


def _reshape_ref(x, *, shape):
    return x.reshape(tuple(-1 if d == BATCH else d for d in shape))


register(OpDef(
    "reshape", _reshape_infer, _reshape_ref, alias=True,
    vjp=lambda g, n, ct: [g.add("reshape", ct[0], shape=n.inputs[0].shape)],
    doc="same elements, new shape including the batch axis (a view: buffers are contiguous)",
))
