"""shift: random translation with zero fill (a random crop of the zero-padded image)."""
from __future__ import annotations

from ..options import Opt
from . import AugmentDef, by_magnitude, register

register(AugmentDef(
    "shift", (Opt("pixels", "int", required=True, min=0, positional=True,
                  doc="largest offset per axis"),),
    by_magnitude("augment_shift", "pixels"), image=True,
    doc="translate by a random integer offset in [-pixels, pixels] per axis, zero fill "
        "(random crop with zero padding `pixels`); needs an image input [C, H, W]"))
