"""onecycle: Smith's 1cycle policy as torch's OneCycleLR (two phases): from max_lr /
div_factor up to max_lr over the first pct_start of the run, then down to
max_lr / div_factor / final_div_factor, annealed by cosine or linearly."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from . import ScheduleDef, register


def _anneal(start, end, pct, how):
    if how == "linear":
        return start + (end - start) * pct
    return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1.0)


def _rate(t, options, run):
    peak = options["max_lr"] if options["max_lr"] is not None else run.base_lr
    initial = peak / options["div_factor"]
    final = initial / options["final_div_factor"]
    total = max(2, run.total_steps)
    turn = float(options["pct_start"] * total) - 1.0
    end = float(total - 1)
    up = _anneal(initial, peak, np.clip(t / max(turn, 1e-12), 0.0, 1.0), options["anneal"])
    down = _anneal(peak, final, np.clip((t - turn) / max(end - turn, 1e-12), 0.0, 1.0),
                   options["anneal"])
    return np.where(t <= turn, up, down) / run.base_lr


register(ScheduleDef(
    "onecycle", (Opt("max_lr", "float", None, positional=True, min=0.0, min_inclusive=False,
                     doc="the peak rate; default: the optimizer's lr"),
                 Opt("pct_start", "float", 0.3, min=0.0, max=1.0, min_inclusive=False,
                     max_inclusive=False),
                 Opt("div_factor", "float", 25.0, min=0.0, min_inclusive=False),
                 Opt("final_div_factor", "float", 1e4, min=0.0, min_inclusive=False),
                 Opt("anneal", "enum", "cos", choices=("cos", "linear"))),
    _rate, doc="torch's OneCycleLR: warm up to max_lr, then anneal far below the start",
    rises=True))
