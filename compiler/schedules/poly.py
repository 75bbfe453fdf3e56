"""poly: Caffe's `poly` policy, decaying to zero at the end of the run (torch's PolynomialLR)."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from . import ScheduleDef, register


def _rate(t, options, run):
    return np.clip(1.0 - t / max(1, run.total_steps), 0.0, None) ** options["power"]


register(ScheduleDef(
    "poly", (Opt("power", "float", 1.0, positional=True, min=0.0, min_inclusive=False),),
    _rate, doc="lr = base * (1 - t / total_steps) ** power (Caffe's poly; max_iter = the run)"))
