"""The kernel ABI, written here and nowhere else: what `train_chunk` and `predict_chunk` take.

Every target's kernels take these arguments in this order (a target generates its signature
from this table), and the Executable fills them by name (lower/executable.py), so neither the
runtime nor the tests spell out a position. After the named arguments come the state tensors:
the graph's inputs of role param, slot, stat, in STATE_ROLES order (a prediction graph has no
slots).
Kinds: `f32[2]` a float32 array of rank 2; `int` an int64 scalar; `label` / `out` arrays whose
dtype and rank follow the graph (labels, the model's outputs).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str
    doc: str


TRAIN_CHUNK = (
    Arg("X", "f32[2]", "the whole split's inputs, one row per sample"),
    Arg("Y", "label", "the whole split's labels or targets"),
    Arg("order", "i64[1]", "row indices in visiting order (the epoch's permutation)"),
    Arg("first", "int", "position in `order` of the chunk's first row"),
    Arg("nsteps", "int", "training steps in this chunk"),
    Arg("batch", "int", "rows per step"),
    Arg("lrs", "f32[1]", "the learning rate of each step of the chunk (the schedule)"),
    Arg("hypers", "f64[1]", "run-time hyperparameters, one per graph input of role hyper"),
    Arg("step0", "int", "global step counter of the chunk's first step"),
    Arg("seed", "int", "the run's seed (dropout masks, augmentation draws)"),
    Arg("losses", "f32[1]", "out: each step's loss"),
    Arg("corrects", "i64[1]", "out: each step's count of correct predictions (classification)"),
    Arg("nthreads", "int", "blocks the kernels may cut work into (the target decides; the CPU "
                           "keeps it fixed for a run so results do not depend on the threads)"),
)

PREDICT_CHUNK = (
    Arg("X", "f32[2]", "inputs, one row per sample"),
    Arg("order", "i64[1]", "row indices to predict, in order"),
    Arg("first", "int", "position in `order` of the first row"),
    Arg("nsteps", "int", "batches in this chunk"),
    Arg("batch", "int", "rows per batch"),
    Arg("hypers", "f64[1]", "run-time hyperparameters (those the prediction graph reads)"),
    Arg("out", "out", "out: the model's outputs, one row per sample of X"),
    Arg("nthreads", "int", "threads the kernels may cut work into"),
)

STATE_ROLES = ("param", "slot", "stat")

KERNELS = {"train_chunk": TRAIN_CHUNK, "predict_chunk": PREDICT_CHUNK}


def names(kernel: str) -> tuple[str, ...]:
    return tuple(a.name for a in KERNELS[kernel])
