"""What a target compiles a recipe into, and the only thing the runtime calls.

An Executable owns the training state (parameters, optimizer slots, layer statistics, the step
counter and the seed) wherever its target keeps it, and runs chunks of steps on it:
  train_chunk(...)      `nsteps` training steps; returns each step's loss and correct count
  predict_chunk(...)    the prediction graph over consecutive batches
  state() / load_state(d)   every piece of training state by name, and back (checkpoints)
  listing()             the generated source, as `recipec compile --emit` prints it
Arguments are bound by name from the ABI table (lower/abi.py); a target subclass supplies
`_call(kernel, args)`, which passes them on in the ABI's order.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from . import abi

COUNTERS = ("step", "epoch", "seed")     # integers of the training state, beside the tensors


@dataclass(frozen=True)
class TensorSpec:
    name: str                     # "dense_1.weight", "dense_1.weight:velocity", ...
    role: str                     # "param" | "slot" | "stat"
    shape: tuple[int, ...]
    dtype: str = "float32"


class Executable:
    target = "none"

    def __init__(self, graphs):
        self.graphs = graphs
        train = graphs.train
        self.tensors = [TensorSpec(v.name, v.role, tuple(int(d) for d in v.shape), v.dtype)
                        for role in abi.STATE_ROLES for v in train.inputs if v.role == role]
        self._train_state = [t.name for t in self.tensors]
        # state only the prediction graph reads (an int8 model's quantised weights and
        # scales, compiler/quantize.py): held and loaded like the rest, never trained
        known = set(self._train_state)
        self.tensors += [TensorSpec(v.name, v.role, tuple(int(d) for d in v.shape), v.dtype)
                         for role in abi.STATE_ROLES for v in graphs.predict.inputs
                         if v.role == role and v.name not in known]
        self._arrays = {t.name: np.zeros(t.shape, t.dtype) for t in self.tensors}
        self.counters = {name: 0 for name in COUNTERS}
        self._predict_state = [v.name for role in abi.STATE_ROLES
                               for v in graphs.predict.inputs if v.role == role]
        self.hypers = np.array([h.value for h in graphs.hypers], np.float64)

    # -- state ------------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """Every piece of training state by name: the tensors (the arrays the kernels update,
        not copies, on a target whose state lives in host memory) and the counters as int64
        scalars."""
        out = dict(self._arrays)
        out.update({k: np.int64(v) for k, v in self.counters.items()})
        return out

    def load_state(self, state: dict) -> None:
        """Take back what state() gave (all of it, or any part): tensors are copied into the
        kernels' own arrays, so references to them stay valid."""
        for name, value in state.items():
            if name in self.counters:
                self.counters[name] = int(value)
                continue
            if name not in self._arrays:
                raise KeyError(f"no training state named {name!r}")
            target = self._arrays[name]
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"{name}: shape {list(value.shape)} does not match "
                                 f"{list(target.shape)}")
            target[...] = value

    def arrays(self, role: str) -> list[np.ndarray]:
        return [self._arrays[t.name] for t in self.tensors if t.role == role]

    def set_hypers(self, values: dict[str, float]) -> None:
        """New values for run-time hyperparameters (graph inputs of role hyper), by name:
        nothing is compiled."""
        index = {h.name: i for i, h in enumerate(self.graphs.hypers)}
        for name, value in values.items():
            self.hypers[index[name]] = value

    # -- running ----------------------------------------------------------------------------
    def limit_threads(self, most: int) -> None:
        """Run every chunk on at most `most` threads from now on: the process trains other
        models beside this one (trials side by side) and shares the cores with them. The
        results do not change."""

    @contextlib.contextmanager
    def session(self):
        """Hold the machine the way this target wants while several chunks run (the CPU
        target limits BLAS's threads, lower/cpu/threads.py); entering it again is free."""
        yield

    def train_chunk(self, x: np.ndarray, y: np.ndarray, order: np.ndarray, first: int,
                    nsteps: int, batch: int, lrs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`nsteps` steps of `batch` rows from order[first]; advances the step counter."""
        losses = np.empty(nsteps, np.float32)
        corrects = np.empty(nsteps, np.int64)
        self._call("train_chunk", {
            "X": x, "Y": y, "order": order, "first": first, "nsteps": nsteps, "batch": batch,
            "lrs": lrs, "hypers": self.hypers, "step0": self.counters["step"],
            "seed": self.counters["seed"], "losses": losses, "corrects": corrects},
            [self._arrays[name] for name in self._train_state])
        self.counters["step"] += nsteps
        return losses, corrects

    def predict_chunk(self, x: np.ndarray, order: np.ndarray, first: int, nsteps: int,
                      batch: int, out: np.ndarray) -> None:
        self._call("predict_chunk", {
            "X": x, "order": order, "first": first, "nsteps": nsteps, "batch": batch,
            "hypers": self.hypers, "out": out},
            [self._arrays[name] for name in self._predict_state])

    def predict_rows(self, x: np.ndarray, out: np.ndarray, batch: int = 256) -> None:
        """predict_chunk over every row of x [N, width] in order, into out [N, ...]: whole
        batches in one call, the remainder in a second."""
        n = len(x)
        order = np.arange(n, dtype=np.int64)
        batch = max(1, min(batch, n))
        full, rem = divmod(n, batch)
        with self.session():
            if full:
                self.predict_chunk(x, order, 0, full, batch, out)
            if rem:
                self.predict_chunk(x, order, full * batch, 1, rem, out)

    def warm_up(self) -> None:
        """Load or compile every kernel now (the first chunk would otherwise pay for it)."""

    def listing(self) -> str:
        return ""

    def _call(self, kernel: str, named: dict, state: list[np.ndarray]) -> None:
        raise NotImplementedError(f"target {self.target} cannot run {kernel}")

    @staticmethod
    def positional(kernel: str, named: dict, state: list[np.ndarray]) -> list:
        """The ABI's order (lower/abi.py): named arguments, then the state tensors."""
        missing = [a for a in abi.names(kernel) if a not in named]
        if missing:
            raise TypeError(f"{kernel}: missing {', '.join(missing)}")
        return [named[a] for a in abi.names(kernel)] + list(state)
