"""Errors the runtime raises for problems the user caused outside the recipe text.

A `DataError` says what is wrong with the data (the message names the file or built-in source)
and, through `key`, which part of the recipe it is about: "source", "test", "reshape",
"layout", "validation", "input" (the model's input shape) or "output" (the model's last
layer). `runtime/data/check.py` turns that key into the recipe's `Span`, so the CLI prints
`file:line:col: error[D003]: message` with the source line and a caret, like any diagnostic;
an error nothing located prints as `error[<code>]: <message>`. Both exit with status 2.
A `TrainingDiverged` (code T001) is printed the same way, with a `= help:` line, also exit 2:
the recipe's numbers (usually the learning rate) made the training blow up.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

from ..compiler.diagnostics import Diagnostic, Span

# Codes of `DataError`:
D001 = "D001"  # data file not found
D002 = "D002"  # data file unreadable or corrupt (not a zip, bad encoding, a directory, ...)
D003 = "D003"  # bad contents: wrong shape, non-numeric cell, NaN/inf, missing array, too few rows
D004 = "D004"  # label problems: missing label column/array, negative or non-integer classes
D005 = "D005"  # the recipe does not fit this data's size: a warmup in steps as long as a run
               # in epochs

CODES = {
    D001: "data file not found",
    D002: "data file unreadable or corrupt",
    D003: "bad data contents",
    D004: "bad labels",
    D005: "recipe durations do not fit the data's steps per epoch",
}

# What `DataError.key` may name (the recipe part the problem is about).
KEYS = ("source", "test", "reshape", "layout", "validation", "impute", "outliers", "input",
        "output", "schedule")


class Located:
    """An error that can be pointed at the recipe text that caused it (`locate`), then
    rendered as a `file:line:col` diagnostic (`diagnostic`); subclasses set `span`, `source`,
    `code`, `message` and `hint`."""

    def locate(self, span: Span | None, source: str | None):
        """Point the error at `span` of the recipe text `source` (once: the first wins)."""
        if self.span is None and span is not None:
            self.span, self.source = span, source
        return self

    def diagnostic(self) -> Diagnostic | None:
        """The located form, rendered by `compiler.diagnostics.render`; None if unlocated."""
        if self.span is None:
            return None
        return Diagnostic(self.span, self.code, self.message, self.hint)


class DataError(Located, Exception):
    """A problem with the training data; `str(err)` is the message, `err.code` one of D001-D005."""

    def __init__(self, message: str, code: str = D003, path: str | None = None, *,
                 key: str | None = None, hint: str | None = None):
        if code not in CODES:
            raise ValueError(f"unknown DataError code {code!r}")
        if key is not None and key not in KEYS:
            raise ValueError(f"unknown DataError key {key!r}")
        self.message = message
        self.code = code
        self.path = path          # the file as the user gave it (None for built-in sources)
        self.key = key            # the recipe part it is about (KEYS), None until known
        self.hint = hint
        self.span: Span | None = None      # where in the recipe, set by `locate`
        self.source: str | None = None     # the recipe's text, for the source line
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def render(self) -> str:
        """The line the CLI prints for an error with no location."""
        return f"error[{self.code}]: {self.message}"


@contextlib.contextmanager
def about(key: str) -> Iterator[None]:
    """Errors raised inside concern the recipe part `key` (unless they already name one):
    a reader does not know whether it reads the `source` or the `test` source."""
    try:
        yield
    except DataError as err:
        if err.key is None:
            err.key = key
        raise


# Codes of `TrainingDiverged`:
T001 = "T001"  # the loss or a parameter became NaN or infinite during training

TRAINING_CODES = {T001: "training diverged (non-finite loss or parameters)"}


class TrainingDiverged(Exception):
    """The training produced a non-finite loss or parameter; `fit` stops at the end of the
    chunk of steps where it happened (the state is left as that chunk made it).

    epoch, step_in_epoch and global_step count from 1, as the progress line does: the first
    bad step is step `global_step` of the whole training (`state.step` was global_step - 1
    before it ran).
    `loss` is the first non-finite loss, or the last loss when only the parameters went bad
    (then `parameter` names the first non-finite tensor).
    """

    code = T001

    def __init__(self, epoch: int, step_in_epoch: int, steps_per_epoch: int, global_step: int,
                 loss: float, parameter: str | None = None, lr: float | None = None):
        self.epoch = epoch
        self.step_in_epoch = step_in_epoch
        self.steps_per_epoch = steps_per_epoch
        self.global_step = global_step
        self.loss = loss
        self.parameter = parameter
        self.lr = lr
        where = (f"epoch {epoch}, step {step_in_epoch} of {steps_per_epoch} "
                 f"(global step {global_step}" + (f", learning rate {lr:g})" if lr else ")"))
        if parameter is None:
            self.message = f"training diverged: the loss is {loss} at {where}"
        else:
            self.message = (f"training diverged: parameter {parameter} became non-finite by "
                            f"the end of {where} (the last loss was {loss})")
        self.hint = ("lower the learning rate (e.g. `--set optimizer.lr=...`); clip the "
                     "gradients (`clip = norm(1.0)`); check the data for huge "
                     "values (`normalize = standard` in the data block rescales them)")
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def render(self) -> str:
        """The lines the CLI prints."""
        return f"error[{self.code}]: {self.message}\n  = help: {self.hint}"


# Codes of `CheckpointError` (runtime/checkpoint.py):
CHECKPOINT_CODES = {
    "C001": "no checkpoint to resume from",
    "C002": "checkpoint unreadable, damaged or foreign",
    "C003": "the checkpoint is of another recipe or other overrides",
    "C004": "the checkpoint folder cannot be written",
    "C005": "a tensor `init = checkpoint(...)` copies is missing from the file or does not fit",
}


class CodedError(Located, Exception):
    """A problem with something the user has (a checkpoint, a model folder, a study), not
    with the recipe text: a code of the subclass' `codes`, a message naming the path as the
    user gave it, and a hint where one exists. The CLI prints `recipec: error[CODE]: ...`,
    or, once `locate`d at the recipe text that named the file (`init = checkpoint(...)`),
    `file:line:col: error[CODE]` like any diagnostic."""

    codes: dict[str, str] = {}

    def __init__(self, message: str, code: str, hint: str | None = None):
        assert code in self.codes, code
        self.message, self.code, self.hint = message, code, hint
        self.span: Span | None = None
        self.source: str | None = None
        super().__init__(message)

    def render(self) -> str:
        text = f"error[{self.code}]: {self.message}"
        return text + (f"\n  = help: {self.hint}" if self.hint else "")


class CheckpointError(CodedError):
    """A checkpoint that cannot be used; the message names the file and what was wrong."""

    codes = CHECKPOINT_CODES


# Codes of `ModelError` (runtime/model/): a model artefact that cannot be used
MODEL_CODES = {
    "M001": "no model artefact there",
    "M002": "model artefact damaged, half-written or foreign",
    "M003": "inputs that do not fit the model",
    "M004": "the model folder cannot be written",
    "M005": "the model cannot be exported to that format",
}


class ModelError(CodedError):
    """A model folder or a prediction input that cannot be used; the message names the path
    as the user gave it and what was wrong."""

    codes = MODEL_CODES


# Codes of `StoreError` (runtime/store/): the run store, `<runs>/runs.sqlite`
STORE_CODES = {
    "R001": "the runs folder or its store cannot be written",
    "R002": "the run store is damaged or not a recipec run store",
    "R003": "the run store was written by a newer recipec",
    "R004": "no run with that id",
}


class StoreError(CodedError):
    """A run store that cannot be used, or a run it does not hold; the message names the
    file. A store is never overwritten to get past one."""

    codes = STORE_CODES


STUDY_CODES = {
    "S001": "the study's storage holds another search space",
    "S002": "the study's storage cannot be opened",
}


class StudyError(CodedError):
    """A search study that cannot be continued (runtime/search/study.py)."""

    codes = STUDY_CODES
