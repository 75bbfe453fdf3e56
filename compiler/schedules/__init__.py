"""Learning-rate schedules a recipe may name (`schedule = step(every = 10 epochs)`).

A schedule is added in one place, one file here: its `ScheduleDef` holds the option schema the
checker validates (compiler/options.py) and `rate`, the multiplier of the base learning rate
at each global step t, in numpy. The runtime evaluates it for a whole chunk of steps at a chunk
boundary and hands the kernels the array, so a schedule costs nothing per step and its
position is the step counter alone (exact on resume); its numbers are run-time values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..options import Choice, Opt


@dataclass(frozen=True)
class ScheduleDef:
    name: str
    opts: tuple[Opt, ...]
    # (t: float64 steps, checked options, steps per epoch) -> multiplier of the base rate
    rate: Callable[[np.ndarray, dict[str, Any], int], np.ndarray]
    doc: str = ""

    @property
    def choice(self) -> Choice:
        return Choice(self.name, self.opts, self.doc)


SCHEDULES: dict[str, ScheduleDef] = {}


def register(schedule: ScheduleDef) -> ScheduleDef:
    assert schedule.name not in SCHEDULES, f"schedule {schedule.name} registered twice"
    SCHEDULES[schedule.name] = schedule
    return schedule


def learning_rates(base: float, schedule, first_step: int, count: int,
                   steps_per_epoch: int) -> np.ndarray:
    """float32 learning rates of steps first_step .. first_step + count - 1; `schedule` is the
    checked call (recipe.Call: kind + options)."""
    t = np.arange(first_step, first_step + count, dtype=np.float64)
    multiplier = SCHEDULES[schedule.kind].rate(t, schedule.options, steps_per_epoch)
    return (base * np.broadcast_to(multiplier, t.shape)).astype(np.float32)


from . import constant, exponential, inv, step  # noqa: E402,F401  (registration)
