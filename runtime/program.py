"""A compiled recipe bound to its data and state: `fit`, `evaluate`, `predict`.

Python runs only at chunk boundaries: it picks the data order and learning rates for a block of
steps, calls the compiled `train_chunk` once, and reports progress. The per-step work (every
layer, the loss, the backward pass and the update) happens inside that one call.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..compiler.pipeline import CompiledProgram, lower_program
from ..compiler.recipe import Recipe
from .data import Data, apply_normalization, normalize_array
from .class_weights import resolve_balanced
from .data.check import check_data, check_loaded, located
from .data.dataset import Split
from .data.rows import StoredRows, rows_per_block
from . import divergence, predict_input
from .errors import TrainingDiverged
from ..compiler.metrics import METRICS
from ..compiler.check.toplevel import available_monitors
from .metrics import evaluate_outputs, metric_details
from .monitor import COUNTERS, EarlyStop, Plateau, copy_state, find_plateau, plateau_mode
from .schedule import learning_rates
from .state import TrainState, epoch_order

CHUNK_SECONDS = 0.25          # aim for a progress update about this often


class ChunkSizer:
    """Steps per compiled call, sized from the last call so that each takes about
    CHUNK_SECONDS: long enough that Python's share is nil, short enough for a live progress
    line and for the CPU target's thread chooser to measure (lower/cpu/threads.py)."""

    def __init__(self, steps: int = 8):
        self.steps = steps

    def update(self, count: int, elapsed: float) -> None:
        self.steps = max(1, min(4096, int(count * CHUNK_SECONDS / max(elapsed, 1e-4))))


@dataclass
class EpochRecord:
    epoch: int
    train: dict[str, float]
    validation: dict[str, float] | None
    seconds: float
    steps: int
    lr: float | None = None     # the learning rate of the epoch's last step (the schedule's)
    penalty: float | None = None    # the weight penalty at the epoch's end (l1/l2 recipes)


@dataclass
class History:
    epochs: list[EpochRecord] = field(default_factory=list)
    train_seconds: float = 0.0
    steps: int = 0
    stopped_epoch: int | None = None    # early stopping ended the run after this epoch
    best_epoch: int | None = None       # the monitored value's best epoch (early_stop)
    restored_epoch: int | None = None   # the state is this epoch's (early_stop restore_best)
    lr_reductions: list = field(default_factory=list)   # plateau: (epoch, new rate)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.train_seconds if self.train_seconds else 0.0


class Program:
    """A recipe's graphs, its data and state. The target's kernels are generated at first
    use (`executable`): `fit` reads and checks the data before that, so data that cannot
    work never costs a compile."""

    def __init__(self, recipe: Recipe, compiled: CompiledProgram, base_dir: str | Path = ".",
                 data: Data | None = None):
        self.recipe = recipe
        self.compiled = compiled
        self.graphs = compiled.graphs
        self.base_dir = Path(base_dir)
        self._fresh: TrainState | None = TrainState.fresh(self.graphs, recipe.train.seed)
        # `init = checkpoint(...)`: read now, before any kernel (runtime/transfer.py)
        self.transferred: tuple[Path, dict[str, np.ndarray]] | None = None
        if recipe.model.init is not None:
            self._transfer()
        self.data: Data | None = None
        if data is not None:
            self.data = check_loaded(recipe, data)
            self._data_read()
        self.compile_seconds: float | None = None
        self._chunk = ChunkSizer()
        self._last_lr: float | None = None
        # checkpoints (runtime/checkpoint.py): a Checkpointer, set by `recipec run`; the
        # running sums of the epoch in progress go into them; `stop_requested` (a signal)
        # ends fit at the next chunk boundary, after a checkpoint
        self.checkpointer = None
        self._partial: dict | None = None
        self.stop_requested = False
        # epoch-boundary decisions (runtime/monitor.py); their counters outlive one fit()
        self._early = EarlyStop(recipe.early_stop) if recipe.early_stop is not None else None
        plateau = find_plateau(recipe.schedule)
        self._plateau = None if plateau is None else Plateau(
            plateau.options, float(recipe.optimizer["lr"]),
            plateau_mode(plateau, available_monitors(self.graphs.task, recipe.metrics)))
        # stop at the first non-finite loss or state tensor (fit's docstring; its cost was
        # measured at 0.1-0.2 % of a step: runtime/divergence.py)
        self.check_divergence = True
        # a phase after the recipe's training (runtime/prune.py) sets these for its fit():
        # `step_hook` is called at the chunk boundaries it asks for (`next_step(step)`) and
        # may change the state there; `fixed_lr` replaces the schedule; with `monitoring`
        # off, early stopping, plateau and best.safetensors sit the phase out
        self.step_hook = None
        self.phase: dict | None = None      # where the phase started (JSON; checkpointed)
        self.fixed_lr: float | None = None
        self.monitoring = True
        # `distill { ... }`: the teacher (runtime/distill.py), loaded or trained at the first
        # fit; `on_teacher_train(path)` is told before a recipe teacher trains
        self.teacher = None
        self.on_teacher_train = None

    def distill_teacher(self):
        """The `distill` teacher, loaded (or trained) on first use."""
        if self.teacher is None:
            from .distill import Teacher
            self.teacher = Teacher.of(self.recipe.distill, self.recipe.path,
                                      self.on_teacher_train)
        return self.teacher

    def _transfer(self) -> None:
        """The fresh state's tensors of the layers `init` names, taken from its file."""
        from .transfer import initial_tensors, shapes_of
        path, tensors = initial_tensors(self.recipe, shapes_of(self.graphs.params,
                                                               self.graphs.stats),
                                        self.base_dir)
        named = self._fresh.named(self.graphs)
        for name, value in tensors.items():
            np.copyto(named[name], value)
        self.transferred = (path, tensors)

    @property
    def executable(self):
        """The target's Executable, generated and loaded on first use, with the fresh state."""
        if self.compiled.executable is None:
            lower_program(self.compiled)
        if self._fresh is not None:
            fresh, self._fresh = self._fresh, None
            self.compiled.executable.load_state(fresh.as_dict(self.graphs))
        return self.compiled.executable

    # -- data ---------------------------------------------------------------------------
    def load_data(self) -> Data:
        """The recipe's data, read and checked against the model (runtime/data/check.py);
        a problem is a DataError located in the recipe's text."""
        if self.data is None:
            self.data = check_data(self.recipe, self.base_dir)
            self._data_read()
        return self.data

    def _data_read(self) -> None:
        """What the loss computes from the training labels (`class_weights = balanced`)."""
        with located(self.recipe):
            resolve_balanced(self.graphs, self.data, self.compiled.executable)

    def _arrays(self, split: Split) -> tuple[np.ndarray | StoredRows, np.ndarray]:
        """The kernel's view of a split: float32 rows [N, width], or for streamed data the
        StoredRows that `_chunk_rows` reads from, a chunk at a time."""
        if split.streamed:
            return split.x, np.ascontiguousarray(split.y)
        x = np.ascontiguousarray(split.x.reshape(len(split.x), -1), dtype=np.float32)
        return x, np.ascontiguousarray(split.y)

    def _stream_rows(self) -> int:
        """Rows one streamed chunk (or evaluation block) may prepare at once."""
        return rows_per_block(self.data.feature_shape, self.data.memory_budget)

    # -- state --------------------------------------------------------------------------
    @property
    def state(self) -> TrainState:
        """All training state; its arrays are the executable's own (changes show through)."""
        return TrainState.of(self.executable, self.graphs)

    @state.setter
    def state(self, state: TrainState) -> None:
        self.executable.load_state(state.as_dict(self.graphs))

    @property
    def step(self) -> int:
        """The step counter (the executable's; reading `state` for it would copy every
        tensor back from a device target)."""
        return self.executable.counters["step"]

    # -- compilation --------------------------------------------------------------------
    def warm_up(self) -> float:
        """Load (or compile) both kernels now; returns the seconds spent."""
        start = time.perf_counter()
        self.executable.warm_up()
        self.compile_seconds = time.perf_counter() - start
        return self.compile_seconds

    def _out_shape(self) -> tuple[int, ...]:
        return tuple(self.recipe.model.output_shape)

    # -- training -----------------------------------------------------------------------
    @property
    def lr_scale(self) -> float:
        """The plateau schedule's reductions so far (1 without one)."""
        return self._plateau.scale if self._plateau is not None else 1.0

    def train_steps(self, x: np.ndarray | StoredRows, y: np.ndarray, order: np.ndarray,
                    first: int, count: int, batch: int, steps_per_epoch: int):
        """Run `count` steps of `batch` rows starting at order[first]; one compiled call.
        Streamed rows are read and prepared first, in that order, so the kernel sees the
        same batches as it would in memory."""
        if self.fixed_lr is not None:
            lrs = np.full(count, self.fixed_lr, np.float32)
        else:
            lrs = learning_rates(self.recipe.optimizer, self.recipe.schedule,
                                 self.executable.counters["step"], count, steps_per_epoch,
                                 self.recipe.train.total_steps(steps_per_epoch), self.lr_scale)
        self._last_lr = float(lrs[-1])
        if isinstance(x, StoredRows):
            rows = order[first:first + count * batch]
            chunk = x.take(rows).reshape(len(rows), -1)
            return self.executable.train_chunk(chunk, np.ascontiguousarray(y[rows]),
                                               np.arange(len(rows), dtype=np.int64), 0,
                                               count, batch, lrs)
        return self.executable.train_chunk(x, y, order, first, count, batch, lrs)

    def fit(self, epochs: int | None = None, progress=None, steps: int | None = None) -> History:
        """Train for `epochs` more epochs, or `steps` more steps, from the current state;
        with neither, for the recipe's own `epochs` (or `steps`) more. Calling fit twice
        trains twice as long: two `fit(epochs=2)` give bitwise the weights of one
        `fit(epochs=4)`, and `fit(steps=3)` then `fit(steps=2)` those of `fit(steps=5)`.
        One epoch is steps-per-epoch steps, counted from wherever the state stands.

        Position is derived from the step counter alone (epoch = step // steps_per_epoch),
        so a restored state continues exactly where it stopped, and the learning-rate
        schedule continues from that step.

        Raises TrainingDiverged (runtime/errors.py) when a step's loss, or at the end of a
        chunk any parameter, optimizer slot or layer statistic, is NaN or infinite: training
        stops at the end of that chunk of steps, and `state` is left as that chunk made it
        (its step counter included), for inspection. Set `check_divergence = False` to train
        on regardless.
        """
        if epochs is not None and steps is not None:
            raise ValueError("fit takes epochs or steps, not both")
        epochs = _count("epochs", epochs)
        steps = _count("steps", steps)
        data = self.load_data()
        if self.compile_seconds is None:
            self.warm_up()
        x, y = self._arrays(data.train)
        if self.recipe.distill is not None:       # the teacher's soft targets, packed
            y = self.distill_teacher().packed(data.train, data)
        n, batch = len(x), min(self.recipe.train.batch, len(x))
        full, rem = divmod(n, batch)
        spe = full + (1 if rem else 0)
        if steps is None:
            steps = epochs * spe if epochs is not None else self.recipe.train.total_steps(spe)
        target = self.step + steps
        history = History()
        if progress:
            progress.start(self, -(-target // spe), spe)
        with self.executable.session():
            try:
                while self.step < target:
                    epoch, pos = divmod(self.step, spe)
                    stop = min(spe, pos + target - self.step)
                    record = self._run_epoch(x, y, epoch, pos, stop, full, rem, batch,
                                             progress)
                    history.epochs.append(record)
                    history.train_seconds += record.seconds
                    history.steps += record.steps
                    if progress:
                        progress.epoch_end(record)
                    if stop == spe:
                        self._partial = None
                        stop_now = self._epoch_end(record, history)
                        if self.checkpointer is not None and self.monitoring:   # best.safetensors
                            self.checkpointer.epoch_end(self, record)
                        if stop_now:
                            break
                        if self.stop_requested:
                            raise Interrupted(self._checkpoint_now())
                        if self.checkpointer is not None and \
                                self.checkpointer.due(self.step):
                            self.checkpointer.write(self)
                self._restore_best(history)
            except TrainingDiverged:
                if progress and hasattr(progress, "stopped"):
                    progress.stopped()
                raise
            finally:    # also when a chunk diverged: the counters agree with the state
                self.executable.counters["epoch"] = self.step // spe
        if progress:
            progress.finish(history)
        return history

    # -- checkpoints (runtime/checkpoint.py) ----------------------------------------------
    def checkpoint_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """(tensors, JSON-able rest) of everything a bit-identical resume needs."""
        state = self.executable.state()
        tensors = {k: np.asarray(v) for k, v in state.items() if k not in COUNTERS}
        meta = {"counters": {k: int(state[k]) for k in COUNTERS},
                "partial": self._partial, "early_stop": None, "plateau": None,
                "phase": self.phase}
        if self._early is not None:
            e = self._early
            meta["early_stop"] = {"best": e.best, "best_epoch": e.best_epoch, "wait": e.wait,
                                  "stopped_epoch": e.stopped_epoch,
                                  "snapshot": e.snapshot is not None}
            if e.snapshot is not None:
                tensors.update({f"best/{k}": np.asarray(v) for k, v in e.snapshot.items()})
        if self._plateau is not None:
            p = self._plateau
            meta["plateau"] = {"scale": p.scale, "best": p.best, "bad_epochs": p.bad_epochs,
                               "cooldown_left": p.cooldown_left,
                               "reductions": [list(r) for r in p.reductions]}
        return tensors, meta

    def restore_checkpoint(self, tensors: dict[str, np.ndarray], meta: dict) -> None:
        """Take back what checkpoint_state gave (the recipe must be the same)."""
        from .errors import CheckpointError
        own = {k: v for k, v in tensors.items() if not k.startswith("best/")}
        state = self.executable.state()
        expected = {k: state[k] for k in state if k not in COUNTERS}
        if set(own) != set(expected):
            missing, extra = sorted(set(expected) - set(own)), sorted(set(own) - set(expected))
            raise CheckpointError(f"the checkpoint's tensors do not match this model "
                                  f"(missing {missing[:3]}, unknown {extra[:3]})", "C003")
        for name, value in own.items():       # a --force past a changed layer size
            if value.shape != expected[name].shape or value.dtype != expected[name].dtype:
                raise CheckpointError(f"the checkpoint's tensor {name} is {value.dtype} "
                                      f"{list(value.shape)}; this model's is "
                                      f"{expected[name].dtype} {list(expected[name].shape)}",
                                      "C003")
        self.executable.load_state({**own, **meta["counters"]})
        self._partial = meta.get("partial")
        self.phase = meta.get("phase")
        if self._early is not None and meta.get("early_stop"):
            e, m = self._early, meta["early_stop"]
            e.best, e.best_epoch, e.wait, e.stopped_epoch = (m["best"], m["best_epoch"],
                                                             m["wait"], m["stopped_epoch"])
            if m.get("snapshot"):
                e.snapshot = {k[5:]: np.array(v) for k, v in tensors.items()
                              if k.startswith("best/")}
        if self._plateau is not None and meta.get("plateau"):
            p, m = self._plateau, meta["plateau"]
            p.scale, p.best, p.bad_epochs, p.cooldown_left = (m["scale"], m["best"],
                                                              m["bad_epochs"],
                                                              m["cooldown_left"])
            p.reductions = [tuple(r) for r in m["reductions"]]

    def _checkpoint_now(self):
        return self.checkpointer.write(self) if self.checkpointer is not None else None

    @property
    def steps_per_epoch(self) -> int:
        n = len(self.load_data().train)
        return -(-n // max(1, min(self.recipe.train.batch, n)))

    def _epoch_end(self, record: EpochRecord, history: History) -> bool:
        """After a whole epoch: plateau's reduction, then early stopping (True: stop)."""
        if not self.monitoring:
            return False
        if self._plateau is not None:
            before = len(self._plateau.reductions)
            self._plateau.epoch_end(record)
            history.lr_reductions += self._plateau.reductions[before:]
        if self._early is None:
            return False
        stop = self._early.epoch_end(record, lambda: copy_state(self.executable))
        history.best_epoch = self._early.best_epoch
        if stop:
            history.stopped_epoch = record.epoch
        return stop

    def _restore_best(self, history: History) -> None:
        early = self._early
        if early is None or not early.spec.restore_best or early.snapshot is None or \
                not self.monitoring:
            return
        last = history.epochs[-1].epoch if history.epochs else None
        if early.best_epoch != last:
            # the best epoch's weights, slots and statistics; the counters keep saying how
            # far training went (a checkpoint of the finished run resumes to nothing)
            self.executable.load_state(early.snapshot)
            history.restored_epoch = early.best_epoch

    def _run_epoch(self, x, y, epoch, pos, stop, full, rem, batch, progress) -> EpochRecord:
        """Steps pos..stop-1 of `epoch`, in chunks sized to take about CHUNK_SECONDS each."""
        start_time = time.perf_counter()
        spe = full + (1 if rem else 0)
        order = epoch_order(self.executable.counters["seed"], epoch, len(x),
                            self.recipe.data.shuffle)
        loss_sum = correct = seen = 0.0
        if pos > 0 and self._partial is not None and self._partial["epoch"] == epoch:
            loss_sum, correct, seen = (self._partial[k] for k in ("loss_sum", "correct", "seen"))
        step = pos
        while step < stop:
            t0 = time.perf_counter()
            limit = stop - step
            if self.step_hook is not None:      # its steps start chunks of their own
                self.step_hook.at(self)
                upcoming = self.step_hook.next_step(self.step)
                if upcoming is not None:
                    limit = min(limit, upcoming - self.step)
            if step < full:
                count = min(self._chunk.steps, full - step, limit)
                if isinstance(x, StoredRows):       # a chunk's rows fit the memory budget
                    count = max(1, min(count, self._stream_rows() // batch))
                losses, hits = self.train_steps(x, y, order, step * batch, count, batch, spe)
                rows = count * batch
            else:   # the last, smaller batch of the epoch
                count, rows = 1, rem
                losses, hits = self.train_steps(x, y, order, full * batch, 1, rem, spe)
            chunk_loss = float(losses.astype(np.float64).sum())
            if self.check_divergence:
                divergence.check_chunk(self, losses, chunk_loss, epoch, step, spe)
            loss_sum += chunk_loss * (rows / count)
            correct += float(hits.sum())
            seen += rows
            step += count
            self._chunk.update(count, time.perf_counter() - t0)
            self._partial = {"epoch": epoch, "loss_sum": loss_sum, "correct": correct,
                             "seen": seen}
            if progress:
                progress.chunk(epoch, step, loss_sum / seen,
                               correct / seen if self.graphs.task.counts_correct else None)
            if step < spe:          # mid-epoch; at its end fit writes after the monitors
                if self.stop_requested:
                    raise Interrupted(self._checkpoint_now())
                if self.checkpointer is not None and self.checkpointer.due(self.step):
                    self.checkpointer.write(self)
        train_metrics = {"loss": loss_sum / seen}
        if self.graphs.task.counts_correct:
            train_metrics["accuracy"] = correct / seen
        seconds = time.perf_counter() - start_time
        validation = self.evaluate("validation") if self.data.validation is not None else None
        # the loss above is the data loss; the penalty the step also minimised is computed
        # from the weights the epoch ended with (compiler/regularize.py says why)
        # (the state is not read without one: on a device target that is a copy to the host)
        penalty = (self.graphs.penalty(self.executable.state(), self.executable.hypers)
                   if self.graphs.penalties else None)
        return EpochRecord(epoch + 1, train_metrics, validation, seconds, stop - pos,
                           self._last_lr, penalty)

    # -- inference ----------------------------------------------------------------------
    def outputs(self, x: np.ndarray, batch: int = 256) -> np.ndarray:
        """Raw model outputs (logits for classification) for already-normalised rows: an
        array [N, ...] whose samples hold as many values as the model's input (the kernel
        reads exactly that many per row, so anything else is refused here)."""
        width = math.prod(self.recipe.model.input_shape)
        x = np.asarray(x)
        if x.ndim < 1 or math.prod(x.shape[1:]) != width:
            raise ValueError(f"outputs takes rows of {width} values (an array [N, {width}] or "
                             f"[N, {', '.join(map(str, self.recipe.model.input_shape))}]); "
                             f"got an array of shape {x.shape}")
        x = np.ascontiguousarray(x.reshape(len(x), width), dtype=np.float32)
        out = np.empty((len(x),) + self._out_shape(), np.float32)
        self.executable.predict_rows(x, out, batch)
        return out

    def evaluate(self, split: str = "validation") -> dict[str, float]:
        """The loss and the recipe's metrics on one split: "train", "validation" or "test".
        A split this recipe's data does not have (or any other name) is a ValueError that
        lists the splits it has."""
        data = self.load_data()
        present = [name for name in SPLITS if getattr(data, name) is not None]
        if split not in SPLITS:
            raise ValueError(f"evaluate({split!r}): unknown split; the splits are "
                             f"{_listed(SPLITS, 'or')} (this recipe's data has "
                             f"{_listed(present, 'and')})")
        part = getattr(data, split)
        if part is None:
            raise ValueError(f"evaluate({split!r}): this recipe's data has no {split} split "
                             f"(it has {_listed(present, 'and')}); {MISSING_SPLIT[split]}")
        return self.evaluate_part(part)

    def evaluate_part(self, part: Split) -> dict[str, float]:
        """The loss and the recipe's metrics on prepared rows (a split of some Data: a model
        artefact evaluates other data this way, runtime/model/loaded.py)."""
        return evaluate_outputs(self._split_outputs(part), part.y, self.graphs.loss_value,
                                self.recipe.metrics)

    def metric_details(self, split: str = "validation") -> dict:
        """Per-class values (precision, recall, f1) and matrices (confusion) of the recipe's
        metrics on one split, by metric key; {} when none of its metrics has any."""
        if not any(METRICS[m.kind].details is not None for m in self.recipe.metrics):
            return {}
        self.evaluate(split)                      # the same split checks and messages
        return self.part_details(getattr(self.load_data(), split))

    def part_details(self, part: Split) -> dict:
        """metric_details of prepared rows ({} when no metric has any)."""
        if not any(METRICS[m.kind].details is not None for m in self.recipe.metrics):
            return {}
        return metric_details(self._split_outputs(part), part.y, self.recipe.metrics)

    def _split_outputs(self, part: Split) -> np.ndarray:
        if part.streamed:       # a block at a time; the outputs themselves are small
            return np.concatenate([self.outputs(block)
                                   for block in part.x.blocks(self._stream_rows())])
        return self.outputs(part.x)

    def predict(self, x: np.ndarray, normalized: bool = False) -> np.ndarray:
        """Class probabilities (classification), sigmoid probabilities [N, 1] (binary) or outputs
        (regression) for raw samples.

        `x` is a batch [N, ...] of numbers, each sample shaped as the data source stores it
        (the recipe's reshape/layout and normalization are then applied) or like the model's
        `input`; one sample needs its batch axis (`x[None]`). `normalized=True`: `x` is
        already in the model's input shape and scale. Any other shape, a non-numeric array,
        or a NaN or infinite value is a ValueError (TypeError for non-numbers) that says what
        was expected; with `impute = ...` a NaN is a missing value, filled as in training.
        Text (categorical) columns are given encoded, as `data.categories` lists them.
        """
        out = self.outputs(self.prepare_inputs(x, normalized))
        return self.graphs.task.predict(out)

    def prepare_inputs(self, x, normalized: bool = False) -> np.ndarray:
        """`x` checked and prepared as predict() takes it (its docstring): float32 rows in
        the model's input shape and scale."""
        model_shape = self.recipe.model.input_shape
        if normalized:
            x = predict_input.checked(x, model_shape, self.data.feature_shape
                                      if self.data is not None else None)
        else:
            # normalization uses the training split's statistics: read the data if not yet
            data = self.load_data()
            fills = data.cleaning is not None and data.cleaning.fill is not None
            x = predict_input.checked(x, model_shape, data.source_shape, missing=fills)
            if tuple(x.shape[1:]) == tuple(data.source_shape):
                x = apply_normalization(x, data)
            else:   # shaped like the model's input: the conversion is done, the rest is not
                x = x.reshape((len(x),) + tuple(data.feature_shape))
                if data.cleaning is not None:
                    x = data.cleaning.apply(x)
                x = normalize_array(x, data.norm_shift, data.norm_scale)
        return x


class Interrupted(Exception):
    """fit stopped at a chunk boundary because a signal asked it to; `checkpoint` is the file
    written there (None without a checkpointer)."""

    def __init__(self, checkpoint):
        self.checkpoint = checkpoint
        super().__init__(f"interrupted; checkpoint {checkpoint}")


SPLITS = ("train", "validation", "test")
MISSING_SPLIT = {
    "train": "",
    "validation": "set `validation = 0.2` (a fraction of the training rows) in the data block",
    "test": "add `test = <source>` to the data block, or use a source with its own test split",
}


def _listed(names, conjunction: str) -> str:
    quoted = [repr(n) for n in names]
    if not quoted:
        return "none"
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} {conjunction} {quoted[-1]}"


def _count(name: str, value) -> int | None:
    """A fit() count: None or a whole number >= 1 (numpy integers too, not bools or floats)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"fit({name}={value!r}): {name} must be a whole number >= 1, the "
                        f"number of {name} to train more")
    if value < 1:
        raise ValueError(f"fit({name}={value!r}): {name} must be >= 1, the number of "
                         f"{name} to train more")
    return int(value)
