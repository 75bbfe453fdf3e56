"""shift: random translation with zero fill (a random crop of the zero-padded image)."""
from __future__ import annotations

from ..options import Opt
from . import AugmentDef, by_magnitude, register

def _fits(call, shape):
    # An offset as large as the image moves it out entirely: some draws are all zeros.
    channels, height, width = shape
    pixels, smallest = call["pixels"], min(height, width)
    if pixels < smallest:
        return None
    return ("pixels", f"shift({pixels}) can move the whole {height}×{width} image out of "
            f"view: the offset must be smaller than the image's height and width",
            f"use pixels <= {smallest - 1}; a few pixels (e.g. shift({min(2, smallest - 1)})) "
            "is usual")


register(AugmentDef(
    "shift", (Opt("pixels", "int", required=True, min=0, positional=True,
                  doc="largest offset per axis"),),
    by_magnitude("augment_shift", "pixels"), image=True, fits=_fits,
    doc="translate by a random integer offset in [-pixels, pixels] per axis, zero fill "
        "(random crop with zero padding `pixels`); needs an image input [C, H, W]"))
