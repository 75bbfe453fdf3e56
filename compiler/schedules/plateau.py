"""plateau: multiply the rate by `factor` when the monitored value has not improved for
`patience` epochs (torch's ReduceLROnPlateau, threshold_mode = rel: an improvement beats the
best by more than `min_delta` of it), then wait `cooldown` epochs; never below `min_lr`.

The reductions so far depend on the values seen, not on the step: the runtime keeps them
(runtime/monitor.py) and hands the current multiplier in `Run.scale` at each chunk."""
from __future__ import annotations

import numpy as np

from ..catalog_opts import MODE, MONITOR
from ..options import Opt
from . import ScheduleDef, register

register(ScheduleDef(
    "plateau", (MONITOR, MODE,
                Opt("factor", "float", 0.1, min=0.0, max=1.0, min_inclusive=False,
                    max_inclusive=False),
                Opt("patience", "int", 10, min=0),
                Opt("min_delta", "float", 1e-4, min=0.0, doc="relative, as torch's threshold"),
                Opt("cooldown", "int", 0, min=0),
                Opt("min_lr", "float", 0.0, min=0.0)),
    lambda t, o, run: np.full_like(t, run.scale),
    doc="reduce the rate by factor when the monitor stops improving (ReduceLROnPlateau)"))
