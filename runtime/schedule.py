"""Learning-rate schedules, evaluated for a block of steps at a chunk boundary.

The compiled loop reads lr from an array, so any schedule costs nothing per step and the
schedule position is just the global step counter (exact on resume).
"""
from __future__ import annotations

import numpy as np

from ..compiler.options import Duration
from ..compiler.recipe import Call


def learning_rates(optimizer: Call, schedule: Call, first_step: int, count: int,
                   steps_per_epoch: int) -> np.ndarray:
    base = float(optimizer["lr"])
    t = np.arange(first_step, first_step + count, dtype=np.float64)
    if schedule.kind == "constant":
        lr = np.full(count, base)
    elif schedule.kind == "step":
        every = schedule["every"].in_steps(steps_per_epoch)
        lr = base * schedule["gamma"] ** np.floor(t / every)
    elif schedule.kind == "exponential":
        every = (schedule["every"] or Duration(1, "epochs")).in_steps(steps_per_epoch)
        lr = base * schedule["gamma"] ** (t / every)
    elif schedule.kind == "inv":
        lr = base * (1.0 + schedule["gamma"] * t) ** -schedule["power"]
    else:
        raise ValueError(f"unknown schedule {schedule.kind!r}")
    return lr.astype(np.float32)
