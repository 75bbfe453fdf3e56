"""`data { augment = [...] }` -> augmentation ops applied to the batch `x` of the training graph.

The checked calls (catalog.AUGMENTS) become ops of ops/augment.py, in list order, before the
first layer; the prediction graph never gets them. Each entry has its own RNG stream: its salt
is a hash of its position and kind, stable across runs and processes, so `[flip(), flip()]`
draws independently twice. Entries that cannot change anything (shift(0), rotate(0), noise(0))
add no op.
"""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from .ir import Value
from .recipe import Call

if TYPE_CHECKING:                 # build.py imports this module
    from .build import BuildContext


def augment_salt(index: int, call: Call) -> int:
    return zlib.crc32(f"augment[{index}]:{call.kind}".encode())


def apply_augmentation(ctx: "BuildContext", x: Value, augment: tuple[Call, ...]) -> Value:
    """Append one op per augment entry to `ctx.graph`; returns the augmented batch."""
    g = ctx.graph
    for index, call in enumerate(augment):
        if call.kind in ("shift", "flip", "rotate") and x.type.rank != 4:
            raise ValueError(f"augment {call.kind} needs a [B, C, H, W] batch, got {x.type}")
        if call.kind == "shift":
            op, attrs = "augment_shift", {"pixels": int(call["pixels"])}
            active = call["pixels"] > 0
        elif call.kind == "flip":
            op = "augment_flip"
            attrs = {"horizontal": bool(call["horizontal"]), "vertical": bool(call["vertical"])}
            active = attrs["horizontal"] or attrs["vertical"]
        elif call.kind == "rotate":
            op, attrs = "augment_rotate", {"degrees": float(call["degrees"])}
            active = call["degrees"] > 0
        elif call.kind == "noise":
            op, attrs = "augment_noise", {"std": float(call["std"])}
            active = call["std"] > 0
        else:
            raise ValueError(f"unknown augment {call.kind!r}")
        if active:
            x = g.add(op, x, ctx.scalar("step"), ctx.scalar("seed"),
                      salt=augment_salt(index, call), **attrs)
    return x
