"""`data { augment = [...] }` -> augmentation ops applied to the batch `x` of the training graph.

The checked calls become ops of ops/augment.py (each built by its row in compiler/augments/), in list order, before the
first layer; the prediction graph never gets them. Each entry has its own RNG stream: its salt
is a hash of its position and kind, stable across runs and processes, so `[flip(), flip()]`
draws independently twice. Entries that cannot change anything (shift(0), rotate(0), noise(0))
add no op: a zero magnitude is structure. Any other magnitude is a run-time input named
`data.augment.<entry>.<option>`, the entry named like a layer, by kind and count in list order
(`[shift(1), rotate(10), rotate(5)]` is shift_1, rotate_1, rotate_2): `--set
data.augment.rotate_1.degrees=5` takes the same path and compiles nothing.
"""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from .augments import AUGMENTS
from .ir import Value
from .naming import numbered
from .recipe import Call

if TYPE_CHECKING:                 # build.py imports this module
    from .build import BuildContext

def augment_salt(index: int, call: Call) -> int:
    return zlib.crc32(f"augment[{index}]:{call.kind}".encode())


def apply_augmentation(ctx: "BuildContext", x: Value, augment: tuple[Call, ...]) -> Value:
    """Append one op per augment entry to `ctx.graph` (its registry row builds it); returns
    the augmented batch."""
    for index, (name, call) in enumerate(zip(numbered(c.kind for c in augment), augment)):
        row = AUGMENTS[call.kind]           # the checker accepted only registered names
        if row.image and x.type.rank != 4:
            raise ValueError(f"augment {call.kind} needs a [B, C, H, W] batch, got {x.type}")
        x = row.build(ctx, x, name, call, augment_salt(index, call))
    return x
