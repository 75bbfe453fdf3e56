"""cosine: half a cosine from the base rate to `to` times it over the run (torch's
CosineAnnealingLR), or with `restarts = N epochs|steps` over cycles that restart at the base
rate, each `mult` times longer than the last (SGDR: torch's CosineAnnealingWarmRestarts)."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from . import ScheduleDef, register


def _rate(t, options, run):
    low = options["to"]
    if options["restarts"] is None:
        length = max(1, run.total_steps)
        into, cycle = np.minimum(t, length), float(length)
    else:
        first, mult = float(run.steps(options["restarts"])), options["mult"]
        if mult == 1:
            into, cycle = np.mod(t, first), first
        else:       # cycle n starts at first * (mult**n - 1) / (mult - 1)
            n = np.floor(np.log(t / first * (mult - 1) + 1) / np.log(mult))
            into = t - first * (mult ** n - 1) / (mult - 1)
            cycle = first * mult ** n
    return low + (1.0 - low) * (1.0 + np.cos(np.pi * into / cycle)) / 2.0


register(ScheduleDef(
    "cosine", (Opt("to", "float", 0.0, min=0.0, max=1.0,
                   doc="the lowest multiplier of the base rate (torch's eta_min / lr)"),
               Opt("restarts", "duration", None,
                   doc="length of the first cycle (SGDR); default: one cycle, the whole run"),
               Opt("mult", "int", 1, min=1, doc="each cycle this many times the last (T_mult)")),
    _rate, doc="lr = base * (to + (1 - to) * (1 + cos(pi * t / T)) / 2), T the run or the "
               "current cycle"))
