"""inv: Caffe's `inv` learning-rate policy."""
from __future__ import annotations

from ..options import Opt
from . import ScheduleDef, register

register(ScheduleDef(
    "inv", (Opt("gamma", "float", required=True, min=0.0, min_inclusive=False),
            Opt("power", "float", required=True, min=0.0, min_inclusive=False)),
    lambda t, o, run: (1.0 + o["gamma"] * t) ** -o["power"],
    doc="Caffe's inv policy: lr = base * (1 + gamma * step) ** -power"))
