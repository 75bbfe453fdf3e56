"""Learning-rate schedules a recipe may name (`schedule = step(every = 10 epochs)`).

A schedule is added in one place, one file here: its `ScheduleDef` holds the option schema the
checker validates (compiler/options.py) and `rate`, the multiplier of the base learning rate
at each global step t, in numpy. The runtime evaluates it for a whole chunk of steps at a chunk
boundary and hands the kernels the array, so a schedule costs nothing per step and its
position is the step counter alone (exact on resume); its numbers are run-time values.
Schedules that anneal over the run (cosine, linear, poly, onecycle) read its length from
`Run`: the recipe's own `train { epochs | steps }`, whatever `fit()` is asked for.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..options import Choice, Opt


@dataclass(frozen=True)
class Run:
    """What a schedule knows of the training: steps per epoch and the run's length."""

    steps_per_epoch: int
    total_steps: int
    base_lr: float = 1.0                # the optimizer's lr (onecycle's max_lr default)

    def steps(self, duration) -> int:
        return duration.in_steps(self.steps_per_epoch)


@dataclass(frozen=True)
class ScheduleDef:
    name: str
    opts: tuple[Opt, ...]
    # (t: float64 steps, checked options, Run) -> multiplier of the base rate
    rate: Callable[[np.ndarray, dict[str, Any], Run], np.ndarray]
    doc: str = ""
    # the multiplier may rise (warmup, onecycle); the others never do
    rises: bool = False
    # duration options that must be shorter than the run (warmup's length)
    shorter_than_run: tuple[str, ...] = ()

    @property
    def choice(self) -> Choice:
        return Choice(self.name, self.opts, self.doc)


SCHEDULES: dict[str, ScheduleDef] = {}


def register(schedule: ScheduleDef) -> ScheduleDef:
    assert schedule.name not in SCHEDULES, f"schedule {schedule.name} registered twice"
    SCHEDULES[schedule.name] = schedule
    return schedule


def multiplier(schedule, t: np.ndarray, run: Run) -> np.ndarray:
    """The schedule's (a checked Call) multiplier of the base rate at steps `t` (float64)."""
    return np.broadcast_to(SCHEDULES[schedule.kind].rate(t, schedule.options, run), t.shape)


def learning_rates(base: float, schedule, first_step: int, count: int,
                   steps_per_epoch: int, total_steps: int | None = None) -> np.ndarray:
    """float32 learning rates of steps first_step .. first_step + count - 1; `schedule` is the
    checked call (recipe.Call: kind + options); `total_steps`, the run's length (by default
    the steps asked for)."""
    t = np.arange(first_step, first_step + count, dtype=np.float64)
    run = Run(steps_per_epoch, first_step + count if total_steps is None else total_steps,
              float(base))
    return (base * multiplier(schedule, t, run)).astype(np.float32)


def too_long(schedule, steps_per_epoch: int | None, train) -> tuple[str, object] | None:
    """(option, duration) of `schedule` (or a schedule nested in it) that is not shorter than
    the run `train` (a TrainSpec), or None. Without `steps_per_epoch` (no data yet) only
    durations in the run's own unit are compared."""
    row = SCHEDULES[schedule.kind]
    run_unit = "epochs" if train.epochs is not None else "steps"
    run_amount = train.epochs if train.epochs is not None else train.steps
    for option in row.shorter_than_run:
        d = schedule.options[option]
        if d.unit == run_unit:
            if d.amount >= run_amount:
                return option, d
        elif steps_per_epoch is not None:
            if d.in_steps(steps_per_epoch) >= train.total_steps(steps_per_epoch):
                return option, d
    for value in schedule.options.values():
        if hasattr(value, "kind") and value.kind in SCHEDULES:
            found = too_long(value, steps_per_epoch, train)
            if found is not None:
                return found
    return None


def schedule_table() -> dict:
    """The Choices a nested `then = ...` may name (warmup's), from the registry itself."""
    return {name: row.choice for name, row in SCHEDULES.items()}


# every module of this package registers one schedule: adding a file is adding a schedule
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
