"""One trial: its recipe text checked as a plain recipe, compiled (kernels shared with every
trial of the same structure: a generated module is imported once per process, and from the
kernel cache across processes), trained, and measured.

The pruner sees the searched metric at every epoch's end; when it prunes, the training stops
at that boundary (the same stop a signal asks for) and the trial is reported pruned. Without
a pruner nothing is reported per epoch: each report is a locked, fsync'd append to the study's
journal (1.2 ms, a quarter of a digits epoch), and the epochs are in the run store anyway.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

# Trials may train side by side, one per thread (`search { batch_trials = K }`): the kernels
# run outside the GIL (their C entry points are called through ctypes), each trial on its own
# state with the process's one compiled module. Generating or loading a module is done one
# trial at a time; a stop (Ctrl-C) reaches every trial training now.
_COMPILING = threading.Lock()
_LIVE: set = set()
_LIVE_LOCK = threading.Lock()


class Cut(Exception):
    """The trial was stopped by a signal, not by its pruner: Optuna records it failed (the
    run store `interrupted`), and the same command runs its point again."""


def stop_all() -> None:
    """Ask every trial training now to stop at its next chunk boundary."""
    with _LIVE_LOCK:
        for program in _LIVE:
            program.stop_requested = True


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

    def __init__(self, trial, metric: str, program, report: bool = True):
        self.trial, self.metric, self.program = trial, metric, program
        self.report = report
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

        if not self.report:
            return

        value = monitored(record, self.metric)
        if math.isfinite(value):
            self.trial.report(value, record.epoch)
        if self.trial.should_prune():
            self.pruned_at = record.epoch
            self.program.stop_requested = True     # fit stops after this epoch


def run_trial(trial, text: str, filename: str, args, data, metric: str,
              study: str, pruning: bool = True, threads: int | None = None) -> Outcome:
    """Train the trial's recipe `text`, recorded in the run store as a run of `study` (its
    number the trial's); `args` carries --set, --runs and --no-store. `pruning`: report the
    metric to the study at every epoch's end (the study has a pruner). `threads`: the most
    threads the trial's chunks may use (its share of the cores, when trials train side by
    side)."""
    import time

    import recipec
    from ...compiler.check import check_source
    from ..errors import TrainingDiverged
    from ..program import Interrupted
    from ..store.recorder import Recorder

    start = time.perf_counter()
    recipe = check_source(text, filename, args.set, point=True)
    with _COMPILING:
        program = recipec.compile(recipe, data=data)
        program.warm_up()
    if threads is not None:
        program.executable.limit_threads(threads)
    listener = _Pruning(trial, metric, program, report=pruning)
    with _LIVE_LOCK:
        _LIVE.add(program)
    try:
        with Recorder.open(recipe, args, study=study, trial=trial.number) as record:
            try:
                history = program.fit(progress=record.progress(listener))
            except Interrupted:
                if listener.pruned_at is None:          # a signal, not the pruner
                    raise Cut() from None
                record.pruned(listener.pruned_at, None)
                return Outcome(None, "pruned", listener.pruned_at or 0,
                               time.perf_counter() - start, program,
                               note=f"after epoch {listener.pruned_at}")
            split = "validation" if metric.startswith("val_") else "train"
            final = {split: program.evaluate(split)} if split == "validation" else \
                {split: dict(history.epochs[-1].train)}
            value = float(final[split][metric[4:] if split == "validation" else metric])
            record.finish({"final": final, "timings": {
                "train_seconds": history.train_seconds, "steps": history.steps,
                "steps_per_second": history.steps_per_second}})
    except TrainingDiverged as err:             # recorded `diverged` by the recorder
        return Outcome(None, "diverged", err.epoch, time.perf_counter() - start, program,
                       note=f"diverged in epoch {err.epoch}")
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(program)
    trial.set_user_attr("run_id", record.id)
    return Outcome(value, "complete", len(history.epochs), time.perf_counter() - start,
                   program, history)
