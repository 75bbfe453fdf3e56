"""All training state, explicit: parameters, optimizer slots, layer statistics, step and epoch
counters, seed.

Dropout masks and data order are pure functions of (seed, step) and (seed, epoch), so these
arrays and integers are everything a checkpoint has to save for an exact resume.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..compiler.step import StepGraphs
from .init import init_params


@dataclass
class TrainState:
    params: list[np.ndarray]
    slots: list[np.ndarray]
    stats: list[np.ndarray] = field(default_factory=list)   # e.g. batchnorm running statistics
    step: int = 0
    epoch: int = 0
    seed: int = 0

    @classmethod
    def fresh(cls, graphs: StepGraphs, seed: int) -> "TrainState":
        return cls(init_params(graphs.params, seed),
                   [np.full(s.shape, s.initial, np.float32) for s in graphs.slots],
                   [np.full(s.shape, s.initial, np.float32) for s in graphs.stats], 0, 0, seed)

    @classmethod
    def of(cls, executable, graphs: StepGraphs) -> "TrainState":
        """The executable's state (lower/executable.py), its arrays shared, not copied."""
        tensors = executable.state()
        return cls([tensors[p.name] for p in graphs.params],
                   [tensors[s.name] for s in graphs.slots],
                   [tensors[s.name] for s in graphs.stats],
                   int(tensors["step"]), int(tensors["epoch"]), int(tensors["seed"]))

    def as_dict(self, graphs: StepGraphs) -> dict:
        """What Executable.load_state takes: every tensor by name, and the counters."""
        return {**self.named(graphs), "step": self.step, "epoch": self.epoch, "seed": self.seed}

    def named(self, graphs: StepGraphs) -> dict[str, np.ndarray]:
        out = {p.name: a for p, a in zip(graphs.params, self.params)}
        out.update({s.name: a for s, a in zip(graphs.slots, self.slots)})
        out.update({s.name: a for s, a in zip(graphs.stats, self.stats)})
        return out


def epoch_order(seed: int, epoch: int, n: int, shuffle: bool) -> np.ndarray:
    if not shuffle:
        return np.arange(n, dtype=np.int64)
    return np.random.default_rng([seed, epoch, 0x5EED]).permutation(n).astype(np.int64)
