"""step: multiply the rate by gamma every `every` steps or epochs."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from . import ScheduleDef, register


def _rate(t, options, run):
    return options["gamma"] ** np.floor(t / run.steps(options["every"]))


register(ScheduleDef(
    "step", (Opt("every", "duration", required=True, positional=True),
             Opt("gamma", "float", 0.1, min=0.0, min_inclusive=False)),
    _rate, doc="lr = base * gamma ** floor(t / every)"))
