"""warmup: a linear ramp from `from` times the rate to the full rate over the first `length`
of the run, then the schedule `then`, which starts at the end of the ramp and sees the rest of
the run as its own (warmup then cosine is Hugging Face's get_cosine_schedule_with_warmup)."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from . import Run, ScheduleDef, multiplier, register, schedule_table


def _rate(t, options, run):
    length = max(1, run.steps(options["length"]))
    rest = Run(run.steps_per_epoch, max(1, run.total_steps - length), run.base_lr)
    after = (multiplier(options["then"], np.maximum(t - length, 0.0), rest)
             if options["then"] is not None else np.ones_like(t))
    start = options["from"]
    ramp = (start + (1.0 - start) * t / length) * after
    return np.where(t < length, ramp, after)


register(ScheduleDef(
    "warmup", (Opt("length", "duration", required=True, positional=True,
                   doc="`5 epochs` or `500 steps`; must be shorter than the run"),
               Opt("then", "call", None, table=schedule_table,
                   doc="the schedule after the ramp (default: constant)"),
               Opt("from", "float", 0.0, min=0.0, max=1.0, max_inclusive=False,
                   doc="the ramp's first multiplier")),
    _rate, doc="lr = base * (from + (1 - from) * t / length) for t < length, then `then`",
    rises=True, shorter_than_run=("length",)))
