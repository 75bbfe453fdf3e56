"""Decisions taken at epoch boundaries from a monitored value: early stopping (Keras'
EarlyStopping) and reduce-on-plateau (torch's ReduceLROnPlateau).

Both read the epoch's record: `loss`/`accuracy` are the training epoch's running values,
`val_<key>` the validation evaluation's. Their counters are plain numbers kept by the
Program, so a second `fit()` continues them where the first left them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


def monitored(record, name: str) -> float:
    """The value `name` names in an EpochRecord (the checker made sure it exists)."""
    if name.startswith("val_"):
        return float(record.validation[name[4:]])
    return float(record.train[name])


@dataclass
class EarlyStop:
    """Stop once `monitor` has gone `patience` epochs without improving on its best by more
    than `min_delta`; with `restore_best`, the state of the best epoch is kept."""

    spec: object                              # recipe.EarlyStopSpec
    best: float | None = None
    best_epoch: int | None = None
    wait: int = 0
    stopped_epoch: int | None = None
    snapshot: dict | None = field(default=None, repr=False)

    def improved(self, value: float) -> bool:
        if self.best is None:
            return not math.isnan(value)
        if self.spec.mode == "min":
            return value < self.best - self.spec.min_delta
        return value > self.best + self.spec.min_delta

    def epoch_end(self, record, state_copy) -> bool:
        """Record the epoch; True when training should stop now."""
        value = monitored(record, self.spec.monitor)
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, record.epoch, 0
            if self.spec.restore_best:
                self.snapshot = state_copy()
            return False
        self.wait += 1
        if self.wait >= max(1, self.spec.patience):
            self.stopped_epoch = record.epoch
            return True
        return False


@dataclass
class Plateau:
    """torch.optim.lr_scheduler.ReduceLROnPlateau with threshold_mode "rel", as a
    multiplier of the base rate (`scale`)."""

    options: dict
    base_lr: float
    mode: str                                 # "min" | "max"
    scale: float = 1.0
    best: float | None = None
    bad_epochs: int = 0
    cooldown_left: int = 0
    reductions: list = field(default_factory=list)   # (epoch, new rate)

    def better(self, value: float) -> bool:
        if self.best is None:
            return True
        rel = self.options["min_delta"]
        if self.mode == "min":
            return value < self.best * (1.0 - rel)
        return value > self.best * (1.0 + rel)

    def epoch_end(self, record) -> None:
        value = monitored(record, self.options["monitor"])
        if self.better(value):
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.options["patience"]:
            old = self.base_lr * self.scale
            new = max(old * self.options["factor"], self.options["min_lr"])
            if old - new > 1e-8:
                self.scale = new / self.base_lr
                self.reductions.append((record.epoch, new))
            self.cooldown_left = self.options["cooldown"]
            self.bad_epochs = 0


def find_plateau(schedule):
    """The plateau call in a schedule (itself, or nested in warmup's `then`), or None."""
    if schedule.kind == "plateau":
        return schedule
    for value in schedule.options.values():
        if hasattr(value, "kind") and hasattr(value, "options"):
            found = find_plateau(value)
            if found is not None:
                return found
    return None


def plateau_mode(call, higher_is_better: dict[str, bool]) -> str:
    if call.options["mode"] != "auto":
        return call.options["mode"]
    return "max" if higher_is_better.get(call.options["monitor"], False) else "min"


COUNTERS = ("step", "epoch", "seed")


def copy_state(executable) -> dict:
    """Every tensor of the executable's state (weights, slots, statistics), copied; not the
    counters, which keep saying how far training went when a best copy is restored."""
    return {k: np.array(v, copy=True) for k, v in executable.state().items()
            if k not in COUNTERS}
