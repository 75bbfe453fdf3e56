"""The prune phase: after the recipe's training, `prune { ... }` zeroes the smallest weights
and fine-tunes the rest (the masks themselves are in the training step: compiler/prune.py).

The phase is one more `fit` of (ramp + finetune) steps at a constant learning rate (the
training's last, or `lr = ...`), with early stopping and plateau off. At the steps where the
schedule sets a new mask (every `every` steps of the ramp, and at its end; once, at the start,
for oneshot) fit stops its chunk there and calls `PruneSchedule.at`, which computes the masks
from the weights' magnitudes in numpy and zeroes the masked weights and their optimizer slots.

Position within the phase comes from the step counter and the step the phase started at, kept
in the program's checkpoints (`Program.phase`), so an interrupted phase resumes bitwise.
Recomputing a mask at a step where it was already set gives the same mask (the masked weights
score lowest and the count is the same), so a resume at such a step changes nothing.

Sparsity at phase step t of a ramp of T steps, from s0 to s (Zhu & Gupta 2017, tfmot's
PolynomialDecay with power 3): s(t) = s + (s0 - s)(1 - t/T)^3, pruning fast while the
network is redundant and slowly near the target.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..compiler.prune import bias_of
from ..compiler.recipe import PruneSpec
from .schedule import learning_rates


@dataclass
class PruneSchedule:
    spec: PruneSpec
    start: int            # the global step the phase began at
    ramp: int             # steps the sparsity takes to reach its target (0: oneshot)
    end: int              # the global step the phase ends at
    every: int            # steps between two masks during the ramp

    @classmethod
    def of(cls, spec: PruneSpec, start: int, steps_per_epoch: int) -> "PruneSchedule":
        ramp, length = spec.steps(steps_per_epoch)
        return cls(spec, start, ramp, start + length,
                   max(1, spec.every.in_steps(steps_per_epoch)))

    def is_update(self, t: int) -> bool:
        """Whether phase step `t` sets a new mask."""
        if t < 0 or t > self.ramp:
            return False
        return t == self.ramp or t % self.every == 0

    def sparsity_at(self, t: int) -> float:
        s, s0 = self.spec.sparsity, self.spec.initial
        if self.ramp == 0:
            return s
        return s + (s0 - s) * (1.0 - min(t, self.ramp) / self.ramp) ** 3

    def next_step(self, step: int) -> int | None:
        """The first global step after `step` that sets a mask (None: no more)."""
        t = step - self.start + 1
        if t > self.ramp:
            return None
        t = max(t, 0)
        following = -(-t // self.every) * self.every
        return self.start + min(following, self.ramp)

    def at(self, program) -> None:
        """Called at a chunk boundary: the new masks, where this step sets them."""
        t = program.step - self.start
        if self.is_update(t):
            set_masks(program, self.spec, self.sparsity_at(t))


def _count(fraction: float, n: int) -> int:
    return min(n, int(math.floor(fraction * n + 0.5)))


def _smallest(scores: np.ndarray, k: int) -> np.ndarray:
    """A 0/1 float32 mask of scores' shape with its k smallest entries 0 (ties by position:
    the same weights every time)."""
    mask = np.ones(scores.size, np.float32)
    if k:
        mask[np.argsort(scores.ravel(), kind="stable")[:k]] = 0.0
    return mask.reshape(scores.shape)


def set_masks(program, spec: PruneSpec, sparsity: float) -> None:
    """Masks with `sparsity` of each pruned weight (per_layer) or of all of them (global) at
    0: the smallest |w| among those not masked yet (a mask only grows); the masked weights
    and their optimizer slots of the weight's shape set to 0."""
    graphs = program.graphs
    state = program.executable.state()
    mask_names = {s.mask_of: s.name for s in graphs.stats if s.mask_of}
    weights = [w for w in spec.weights if w in mask_names]
    # already-masked weights score -1, below every |w|: they are always among the chosen
    scores = {w: np.where(state[mask_names[w]] > 0, np.abs(state[w]).astype(np.float64), -1.0)
              for w in weights}
    if spec.scope == "global":
        flat = np.concatenate([scores[w].ravel() for w in weights])
        chosen = _smallest(flat, _count(sparsity, flat.size))
        masks, at = {}, 0
        for w in weights:
            n = scores[w].size
            masks[w] = chosen[at:at + n].reshape(scores[w].shape)
            at += n
    else:
        masks = {w: _smallest(scores[w], _count(sparsity, scores[w].size)) for w in weights}
    if spec.method == "l1_filters":
        masks = _unit_masks(graphs, state, mask_names, weights, sparsity)
    update = {}
    for w, mask in masks.items():
        update[mask_names[w]] = mask
        update[w] = np.asarray(state[w]) * mask
        for slot in graphs.slots:
            if slot.name.startswith(w + ":") and tuple(slot.shape) == mask.shape:
                update[slot.name] = np.asarray(state[slot.name]) * mask
    program.executable.load_state(update)


def _unit_masks(graphs, state, mask_names, weights, sparsity) -> dict[str, np.ndarray]:
    """l1_filters: per layer, the output units (a dense weight's columns, a conv's filters)
    of smallest L1 norm, their weights and bias masked whole; never every unit."""
    axes = {p.name: p.out_axis for p in graphs.params}
    masks = {}
    for w in weights:
        axis, mask = axes[w], state[mask_names[w]]
        other = tuple(i for i in range(mask.ndim) if i != axis)
        alive = np.asarray(mask).any(axis=other)
        norms = np.abs(np.asarray(state[w], np.float64)).sum(axis=other)
        units = np.where(alive, norms, -1.0)
        keep = _smallest(units, min(_count(sparsity, units.size), units.size - 1))
        shape = [1] * mask.ndim
        shape[axis] = units.size
        masks[w] = np.broadcast_to(keep.reshape(shape), mask.shape).astype(np.float32)
        bias = bias_of(w)
        if bias in mask_names:
            masks[bias] = keep.reshape(state[bias].shape[:1] + (1,) * (state[bias].ndim - 1)) \
                * np.ones(state[bias].shape, np.float32)
    return masks


def layer_sparsity(program) -> dict[str, dict]:
    """Each pruned weight's zeros (masked entries) and size."""
    graphs = program.graphs
    state = program.executable.state()
    out = {}
    axes = {p.name: p.out_axis for p in graphs.params}
    for s in graphs.stats:
        if s.mask_of and s.mask_of.endswith(".weight"):
            mask = np.asarray(state[s.name])
            zeros = int(mask.size - np.count_nonzero(mask))
            out[s.mask_of] = {"zeros": zeros, "size": int(mask.size),
                              "sparsity": zeros / mask.size}
            if program.recipe.prune.method == "l1_filters":
                axis = axes[s.mask_of]
                alive = mask.any(axis=tuple(i for i in range(mask.ndim) if i != axis))
                out[s.mask_of]["units"] = [int(alive.sum()), int(alive.size)]
    return out


def phase_lr(program, start: int) -> float:
    """The phase's learning rate: `lr = ...`, else the schedule's rate at the training's last
    step (plateau's reductions included)."""
    recipe = program.recipe
    if recipe.prune.lr is not None:
        return float(recipe.prune.lr)
    spe = program.steps_per_epoch
    return float(learning_rates(recipe.optimizer, recipe.schedule, max(start - 1, 0), 1, spe,
                                recipe.train.total_steps(spe), program.lr_scale)[0])


def run_phase(program, progress=None, say=None, evaluate=None):
    """Prune and fine-tune `program` from where its training stopped (or from where an
    interrupted phase's checkpoint stands); returns (the phase's History, its report).
    `say(line)` prints what the phase does; `evaluate()` gives the metrics of the splits
    the run reports ({split: {metric: value}}), before the first mask and after the phase."""
    from .program import History

    spec = program.recipe.prune
    if program.phase is None:
        program.phase = {"kind": "prune", "start": program.step,
                         "before": evaluate() if evaluate else None}
    start = program.phase["start"]
    schedule = PruneSchedule.of(spec, start, program.steps_per_epoch)
    lr = phase_lr(program, start)
    if say:
        say(_describe(spec, schedule, lr))
    history = History()
    program.step_hook, program.fixed_lr, program.monitoring = schedule, lr, False
    try:
        if program.step < schedule.end:
            history = program.fit(steps=schedule.end - program.step, progress=progress)
        schedule.at(program)           # the ramp's last mask, when no step follows it
    finally:
        program.step_hook, program.fixed_lr, program.monitoring = None, None, True
    layers = layer_sparsity(program)
    zeros = sum(v["zeros"] for v in layers.values())
    size = sum(v["size"] for v in layers.values())
    report = {"method": spec.method, "target": spec.sparsity, "scope": spec.scope,
              "schedule": spec.schedule, "from": spec.initial, "ramp_steps": schedule.ramp,
              "steps": schedule.end - start, "lr": lr, "start_step": start,
              "layers": layers, "sparsity": zeros / size if size else 0.0,
              "before": program.phase.get("before"),
              "after": evaluate() if evaluate else None}
    if say:
        say("pruned " + ", ".join(f"{w} {v['sparsity']:.3f}" for w, v in layers.items())
            + f"; {zeros:,} of {size:,} weights are zero ({report['sparsity']:.3f})")
        for split, after in (report["after"] or {}).items():
            before = (report["before"] or {}).get(split, {})
            say(f"{split}: " + "  ".join(
                f"{k} {before[k]:.4f} -> {v:.4f}" if k in before else f"{k} {v:.4f}"
                for k, v in after.items()) + " (before pruning -> after)")
    return history, report


def _describe(spec: PruneSpec, schedule: PruneSchedule, lr: float) -> str:
    how = (f"from {spec.initial:g} over {schedule.ramp} steps (a mask every "
           f"{schedule.every} steps)" if spec.schedule == "gradual" else "at once")
    tail = schedule.end - schedule.start - schedule.ramp
    return (f"prune: {spec.method} ({spec.scope.replace('_', ' ')}) to sparsity "
            f"{spec.sparsity:g} {how}, then {tail} steps of fine-tuning; learning rate "
            f"{lr:.4g}")
