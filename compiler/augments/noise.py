"""noise: additive gaussian noise on every input value."""
from __future__ import annotations

from ..options import Opt
from . import AugmentDef, by_magnitude, register

register(AugmentDef(
    "noise", (Opt("std", "float", required=True, min=0.0, positional=True,
                  doc="standard deviation"),),
    by_magnitude("augment_noise", "std"),
    doc="add gaussian noise std * N(0, 1) to every input value (any input shape)"))
