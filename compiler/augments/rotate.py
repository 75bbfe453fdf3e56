"""rotate: random rotation about the centre, bilinear, zero fill."""
from __future__ import annotations

from ..options import Opt
from . import AugmentDef, by_magnitude, register

register(AugmentDef(
    "rotate", (Opt("degrees", "float", required=True, min=0.0, max=180.0, positional=True,
                   doc="largest angle"),),
    by_magnitude("augment_rotate", "degrees"), image=True,
    doc="rotate about the centre by a uniform angle in [-degrees, degrees], bilinear, "
        "zero fill; needs an image input [C, H, W]"))
