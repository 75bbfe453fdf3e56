"""One trial: its recipe text checked as a plain recipe, compiled (kernels shared with every
trial of the same structure: a generated module is imported once per process, and from the
kernel cache across processes), trained, and measured.

The pruner sees the searched metric at every epoch's end; when it prunes, the training stops
at that boundary (the same stop a signal asks for) and the trial is reported pruned.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Outcome:
    value: float | None            # the metric at the end (None: pruned or failed)
    state: str                     # "complete" | "pruned" | "diverged"
    epochs: int
    seconds: float
    program: object = None
    history: object = None
    note: str = ""


class _Pruning:
    """A listener of fit (runtime/progress.py's calls) reporting each epoch to the trial."""

    def __init__(self, trial, metric: str, program):
        self.trial, self.metric, self.program = trial, metric, program
        self.pruned_at: int | None = None

    def start(self, *args):
        pass

    def chunk(self, *args):
        pass

    def stopped(self):
        pass

    def finish(self, history):
        pass

    def epoch_end(self, record):
        from ..monitor import monitored

        value = monitored(record, self.metric)
        if math.isfinite(value):
            self.trial.report(value, record.epoch)
        if self.trial.should_prune():
            self.pruned_at = record.epoch
            self.program.stop_requested = True     # fit stops after this epoch


def final_value(program, history, metric: str) -> float:
    """The searched metric when training ended (after early stopping's restore)."""
    if metric.startswith("val_"):
        return float(program.evaluate("validation")[metric[4:]])
    return float(history.epochs[-1].train[metric])


def run_trial(trial, text: str, filename: str, overrides, data, metric: str) -> Outcome:
    import time

    import recipec
    from ...compiler.check import check_source
    from ..errors import TrainingDiverged
    from ..program import Interrupted

    start = time.perf_counter()
    recipe = check_source(text, filename, overrides, point=True)
    program = recipec.compile(recipe, data=data)
    listener = _Pruning(trial, metric, program)
    try:
        history = program.fit(progress=listener)
    except Interrupted:
        return Outcome(None, "pruned", listener.pruned_at or 0, time.perf_counter() - start,
                       program, note=f"after epoch {listener.pruned_at}")
    except TrainingDiverged as err:
        return Outcome(None, "diverged", err.epoch, time.perf_counter() - start, program,
                       note=f"diverged in epoch {err.epoch}")
    value = final_value(program, history, metric)
    return Outcome(value, "complete", len(history.epochs), time.perf_counter() - start,
                   program, history)
