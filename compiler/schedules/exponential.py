"""exponential: smooth decay by gamma per `every` (default one epoch)."""
from __future__ import annotations

from ..options import Duration, Opt
from . import ScheduleDef, register


def _rate(t, options, run):
    every = run.steps(options["every"] or Duration(1, "epochs"))
    return options["gamma"] ** (t / every)


register(ScheduleDef(
    "exponential", (Opt("gamma", "float", required=True, positional=True, min=0.0,
                        min_inclusive=False, max=1.0),
                    Opt("every", "duration", None, doc="default: 1 epochs")),
    _rate, doc="lr = base * gamma ** (t / every)"))
