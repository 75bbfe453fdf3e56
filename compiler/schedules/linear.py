"""linear: from the base rate to `to` times it over the run (torch's LinearLR)."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from . import ScheduleDef, register


def _rate(t, options, run):
    total = max(1, run.total_steps)
    return 1.0 + (options["to"] - 1.0) * np.minimum(t, total) / total


register(ScheduleDef(
    "linear", (Opt("to", "float", 0.0, positional=True, min=0.0,
                   doc="the final multiplier of the base rate"),),
    _rate, doc="lr = base * (1 + (to - 1) * t / total_steps); torch's LinearLR with "
               "start_factor 1, end_factor `to`, total_iters the run"))
