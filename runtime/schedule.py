"""Learning rates for a block of steps at a chunk boundary (the schedules themselves are rows
of the registry in compiler/schedules/)."""
from __future__ import annotations

import numpy as np

from ..compiler.recipe import Call
from ..compiler.schedules import learning_rates as _rates


def learning_rates(optimizer: Call, schedule: Call, first_step: int, count: int,
                   steps_per_epoch: int, total_steps: int | None = None) -> np.ndarray:
    """`total_steps`: the run's length as the recipe's `train` section gives it (what
    cosine, linear, poly and onecycle anneal over)."""
    return _rates(float(optimizer["lr"]), schedule, first_step, count, steps_per_epoch,
                  total_steps)
