"""Recording one `recipec run` training in the run store.

    with Recorder.open(recipe, args, fold) as record:      # a row, status running
        history = program.fit(progress=record.progress(ProgressLine()))   # each epoch
        record.finish(report)                              # finished, final metrics

The row is opened before the data is read, so a run that fails on its data is recorded too.
Leaving the `with` by an exception closes it as `interrupted` (a signal's SystemExit(130),
a second Ctrl-C), `diverged` (TrainingDiverged) or `failed` (anything else, with its
message); the exception goes on. A process killed outright leaves `running`, which `recipec
runs` shows as `lost` (liveness.py).

A store that cannot be opened stops the run before anything is read (R001/R002/R003: the
user asked for a record). One that fails later (a full disk, a lock held past the timeout)
costs the record, not the training: a warning, and the run goes on unrecorded.
"""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from ..errors import StoreError
from . import write
from .db import Store, folder_of
from .environment import environment
from .liveness import process_start

INTERRUPTED_EXIT = 130


def check_store(args) -> None:
    """Raise the StoreError a run's recording would meet, before anything else is prepared
    (the runs folder also holds the checkpoints and the model: its problem is named first)."""
    if not getattr(args, "no_store", False):
        Store.open(folder_of(getattr(args, "runs", None)), create=True).close()


class Recorder:
    def __init__(self, store: Store | None, run: int | None):
        self.store, self.id = store, run
        self.finished = False

    @classmethod
    def open(cls, recipe, args, fold: int | None = None, kfold_first: int | None = None,
             study: str | None = None, trial: int | None = None) -> "Recorder":
        """A run row for `recipe` trained with `args` (fold: 0-based, of a kfold recipe);
        with --no-store, a recorder that records nothing."""
        if getattr(args, "no_store", False):
            return cls(None, None)
        from ..checkpoint import recipe_hash

        store = Store.open(folder_of(getattr(args, "runs", None)), create=True)
        overrides = list(getattr(args, "set", ()) or ())
        names = recipe.metric_names
        try:
            run = write.open_run(
                store, recipe=recipe.name, path=recipe.path, text=recipe.source,
                hash=recipe_hash(recipe.source, overrides), overrides=overrides,
                metric=names[0] if names else "loss", environment=environment(),
                host=socket.gethostname(), pid=os.getpid(),
                pid_start=process_start(os.getpid()),
                fold=None if fold is None else fold + 1, folds=recipe.data.folds,
                kfold_first=kfold_first, study=study, trial=trial)
        except BaseException:
            store.close()
            raise
        return cls(store, run)

    # -- while the run goes on -----------------------------------------------------------
    def progress(self, inner):
        """fit's progress object: `inner` (a ProgressLine, or None when quiet) as it was, and
        each epoch recorded after it has been shown."""
        return inner if self.store is None else _Tee(inner, self)

    def epoch(self, record) -> None:
        self._try(write.add_epoch, record)

    def checkpoints(self, checkpointer) -> None:
        """The run's checkpoint folder and the checkpoint it resumed from (with the run that
        wrote that folder, when the store has it)."""
        if self.store is None or checkpointer is None:
            return
        self._try(_checkpoint_fields, checkpointer)

    def pruned(self, epoch: int, final: dict | None) -> None:
        """Close the row of a search trial its pruner stopped after `epoch`."""
        self.finished = True
        self._try(write.close_run, "finished", pruned=epoch, final=final)

    def finish(self, report: dict) -> dict:
        """Close the row as finished, with the report's final metrics, timings and model."""
        self.finished = True
        model = report.get("model")
        if isinstance(model, dict):         # {"path": ..., ...}: the folder is what is kept
            model = model.get("path")
        self._try(write.close_run, "finished", final=report.get("final"),
                  timings=report.get("timings"),
                  model=None if model is None else str(model))
        return report

    # -- closing -------------------------------------------------------------------------
    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, kind, err, tb) -> bool:
        if self.store is None:
            return False
        try:
            if err is not None and not self.finished:
                status, why = status_of(err)
                self._try(write.close_run, status, error=why)
            elif not self.finished:       # left without a report: nothing to show for it
                self._try(write.close_run, "failed", error="the run ended without a report")
        finally:
            if self.store is not None:
                self.store.close()
        return False              # the exception, if any, goes on

    def _try(self, operation, *args, **fields) -> None:
        if self.store is None:
            return
        try:
            operation(self.store, self.id, *args, **fields)
        except StoreError as err:
            print(f"recipec: warning: run {self.id} is no longer recorded: {err.message}",
                  file=sys.stderr)
            self.store.close()
            self.store = None


def _checkpoint_fields(store: Store, run: int, checkpointer) -> None:
    folder = str(Path(checkpointer.folder).resolve())
    fields = {"checkpoints": folder}
    resumed = getattr(checkpointer, "resumed_from", None)
    if resumed is not None:
        fields["resumed_from"] = str(Path(resumed).resolve())
        earlier = store.read("SELECT id FROM runs WHERE checkpoints = ? AND id < ? "
                             "ORDER BY id DESC LIMIT 1", (folder, run))
        fields["resumed_run"] = earlier[0]["id"] if earlier else None
    write.set_fields(store, run, **fields)


def status_of(err: BaseException) -> tuple[str, str | None]:
    from ..errors import TrainingDiverged
    from ..program import Interrupted

    from ..search.trial import Cut

    if isinstance(err, (KeyboardInterrupt, Interrupted, Cut)) or (
            isinstance(err, SystemExit) and err.code == INTERRUPTED_EXIT):
        return "interrupted", None
    if isinstance(err, TrainingDiverged):
        return "diverged", err.message
    render = getattr(err, "render", None)          # recipec's own errors: as printed
    text = render() if callable(render) else f"{type(err).__name__}: {err}"
    return "failed", text


class _Tee:
    """Forwards every progress call to the line shown (if any) and records epoch ends."""

    def __init__(self, inner, recorder: Recorder):
        self.inner, self.recorder = inner, recorder

    def start(self, program, epochs: int, steps_per_epoch: int):
        if self.inner:
            self.inner.start(program, epochs, steps_per_epoch)

    def chunk(self, *args):
        if self.inner:
            self.inner.chunk(*args)

    def epoch_end(self, record):
        if self.inner:
            self.inner.epoch_end(record)
        self.recorder.epoch(record)

    def stopped(self):
        if self.inner and hasattr(self.inner, "stopped"):
            self.inner.stopped()

    def finish(self, history):
        if self.inner:
            self.inner.finish(history)
