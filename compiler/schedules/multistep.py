"""multistep: multiply the rate by gamma at each listed point (torch's MultiStepLR)."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from . import ScheduleDef, register


def _rate(t, options, run):
    points = np.array(sorted(run.steps(d) for d in options["at"]), dtype=np.float64)
    return options["gamma"] ** np.searchsorted(points, t, side="right")


register(ScheduleDef(
    "multistep", (Opt("at", "duration_list", required=True, positional=True,
                      doc="when to decay: `[30 epochs, 60 epochs]`"),
                  Opt("gamma", "float", 0.1, min=0.0, min_inclusive=False)),
    _rate, doc="lr = base * gamma ** (how many of `at` are <= t); torch's MultiStepLR"))
