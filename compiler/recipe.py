"""The checked recipe: what the static check hands to the IR builder and the runtime.

Everything here is validated, defaulted and typed; nothing downstream re-checks user input.
Options are plain dicts (name -> python value) filled with the schema's defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Span
from .options import Duration


@dataclass(frozen=True)
class Call:
    """A checked choice with its options, e.g. adam(lr=0.001, beta1=0.9, ...)."""

    kind: str
    options: dict[str, Any]
    span: Span

    def __getitem__(self, key: str) -> Any:
        return self.options[key]


@dataclass(frozen=True)
class LayerSpec:
    kind: str                      # registry name: "dense", "relu", "residual", ...
    name: str                      # unique in the model: "dense_1", "relu_2", ...
    options: dict[str, Any]
    span: Span
    in_shape: tuple[int, ...]      # per-sample shape (no batch dimension)
    out_shape: tuple[int, ...]
    params: int                    # trainable parameter count (including body)
    flops: int                     # forward FLOPs per sample (including body)
    body: tuple["LayerSpec", ...] = ()  # inner layers of a block layer such as residual


@dataclass(frozen=True)
class TransferSpec:
    """`init = checkpoint("path", layers = [...])` in the model: the fresh state takes these
    layers' parameters and statistics from the file (runtime/transfer.py)."""

    path: str                      # as written; a relative one is relative to the recipe's folder
    layers: tuple[str, ...] | None # the layers owning tensors to copy, in model order (a
                                   # named block stands for its body's); None: all the file has
    span: Span                     # the `checkpoint(...)` call, where file problems point


@dataclass(frozen=True)
class ModelSpec:
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]
    span: Span
    input_span: Span | None = None # the `input [...]` statement, where data shape errors point
    init: TransferSpec | None = None   # `init = checkpoint(...)`: initial weights from a file

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.layers[-1].out_shape if self.layers else self.input_shape

    @property
    def params(self) -> int:
        return sum(l.params for l in self.layers)

    @property
    def flops(self) -> int:
        return sum(l.flops for l in self.layers)


@dataclass(frozen=True)
class DataSpec:
    source: Call                   # digits(), csv(path=..., label=...), npz(path=..., x=..., y=...)
    normalize: str                 # "none" | "standard" | "minmax" | "per_channel"
    validation: float              # fraction of the training rows held out, 0 <= v < 1
    shuffle: bool
    span: Span
    test: Call | None = None       # source of the test split; replaces the source's own one
    scale: float = 1.0             # raw inputs are multiplied by this before normalization
    augment: tuple[Call, ...] = () # random transforms of each training batch, in order
    reshape: tuple[int, ...] | None = None  # read each stored sample as this shape (same count)
    layout: str = "chw"            # "hwc": samples stored [H, W, C], converted to [C, H, W]
    memory: int | str = "auto"     # bytes the prepared data may take in memory, or "auto"
    folds: int | None = None       # validation = kfold(k): k trainings (validation = 1/k)
    impute: Call | None = None     # missing values (compiler/cleaning.py); None: refused
    outliers: Call | None = None   # clip / drop / iqr, fitted on the training split
    split_seed: int | None = None  # the split's seed; None: the train seed (Recipe.split_seed)
    key_spans: tuple[tuple[str, Span], ...] = ()  # (key, span of its value) for each key given

    def span_of(self, key: str) -> Span:
        """Where the recipe sets `key` (`reshape = [...]`), else the whole data block."""
        return dict(self.key_spans).get(key, self.span)


@dataclass(frozen=True)
class TrainSpec:
    epochs: int | None             # None when the run is bounded by `steps` instead
    batch: int
    seed: int
    span: Span
    steps: int | None = None
    checkpoint: Duration | None = None   # write a checkpoint this often (runtime/checkpoint.py)
    keep: int = 3                        # checkpoints kept, the newest
    keep_best: str | None = None         # a monitor: its best epoch's checkpoint is kept too
                                         # (the checker resolves the recipe's `auto`/`none`)
    keep_best_mode: str = "min"          # "min" | "max"
    target: str = "cpu"                  # "cpu" | "cuda" (compiler/lower/)

    def total_steps(self, steps_per_epoch: int) -> int:
        return self.steps if self.steps is not None else self.epochs * steps_per_epoch


@dataclass(frozen=True)
class SearchSpec:
    """`search { ... }`, defaults filled and `auto`s resolved (compiler/check/search.py)."""
    method: str                    # "grid" | "random" | "tpe"
    trials: int                    # grid: at most every point once
    timeout: int | None            # seconds
    metric: str                    # a monitor: "val_accuracy"
    direction: str                 # "minimize" | "maximize"
    pruner: str                    # "none" | "median" | "asha" | "hyperband"
    workers: int
    storage: str                   # "" : a journal file in the runs folder
    seed: int
    batch_trials: int | str        # "auto" or how many trials share one compiled step
    span: Span


@dataclass(frozen=True)
class EarlyStopSpec:
    monitor: str                   # "val_loss", "accuracy", "val_f1_weighted", ...
    mode: str                      # "min" | "max" (auto resolved by the checker)
    patience: int
    min_delta: float
    restore_best: bool
    span: Span


@dataclass(frozen=True)
class PruneSpec:
    """`prune { ... }`, checked (compiler/check/prune.py): a phase after the recipe's training
    that zeroes `sparsity` of each pruned weight and fine-tunes what is left, the masks held
    in the training step (compiler/prune.py) and updated by the runtime (runtime/prune.py)."""
    method: str                    # "magnitude" | "l1_filters" (whole units / filters)
    sparsity: float                # the final fraction of zeros, 0 <= s < 1
    schedule: str                  # "gradual" | "oneshot"
    initial: float                 # gradual's `from`: the first mask's sparsity
    over: Duration | None          # gradual: how long the ramp takes (None: oneshot)
    every: Duration                # the mask is recomputed this often during the ramp
    scope: str                     # "per_layer" | "global"
    weights: tuple[str, ...]       # the pruned parameters, "dense_1.weight", in model order
    finetune: Duration | None      # training at the final sparsity after the ramp
    lr: float | None               # the phase's constant learning rate (None: training's last)
    span: Span

    def steps(self, steps_per_epoch: int) -> tuple[int, int]:
        """(ramp, whole phase) in steps."""
        ramp = self.over.in_steps(steps_per_epoch) if self.over is not None else 0
        tail = self.finetune.in_steps(steps_per_epoch) if self.finetune is not None else 0
        return ramp, ramp + tail


@dataclass(frozen=True)
class DistillSpec:
    """`distill { ... }`, checked (compiler/check/distill.py): the training loss becomes
    alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * the
    cross-entropy with the labels (Hinton et al. 2015); validation and test still report the
    recipe's own loss. The teacher's outputs are computed once per split (runtime/distill.py)."""
    teacher: str                   # "model" (a saved model's folder) | "recipe" (trained first)
    path: str                      # as written; relative paths from the recipe's folder
    temperature: float             # T > 0
    alpha: float                   # 0 <= alpha <= 1
    span: Span

    def resolved(self, recipe_path: str | None) -> Path:
        base = Path(recipe_path).parent if recipe_path else Path(".")
        return base / self.path


@dataclass(frozen=True)
class QuantizeSpec:
    """`quantize { ... }`, checked (compiler/check/quantize.py): post-training int8
    quantisation of the layers named (compiler/quantize.py), evaluated and timed beside the
    float32 model after the training (runtime/quantize.py)."""
    method: str                    # "int8"
    calibration: int               # training rows that set the activation scales
    per_channel: bool              # one weight scale per output unit / filter
    layers: tuple[str, ...]        # the quantised layers, in model order
    span: Span


@dataclass(frozen=True)
class Recipe:
    name: str
    path: str
    data: DataSpec
    model: ModelSpec
    loss: Call                     # cross_entropy() | mse()
    optimizer: Call                # sgd(...) | adam(...)
    schedule: Call                 # constant() | step(...) | exponential(...)
    train: TrainSpec
    metrics: tuple[Call, ...]          # checked calls of compiler/metrics/ rows
    source: str = field(default="", repr=False)
    early_stop: EarlyStopSpec | None = None
    regularize: dict[str, float] | None = None   # `regularize { l1, l2 }`, every key filled
    clip: Call | None = None       # norm(max_norm) | value(clip_value)
    # a search space (compiler/search/): its dimensions, and how `recipec search` explores
    # them; the other fields hold the space's first point (first choices, low ends)
    space: tuple = ()
    search: SearchSpec | None = None
    prune: PruneSpec | None = None     # `prune { ... }`: a phase after the training
    distill: DistillSpec | None = None  # `distill { ... }`: a teacher's soft targets
    quantize: QuantizeSpec | None = None  # `quantize { ... }`: int8 after the training
    overrides: tuple[str, ...] = field(default=(), repr=False)   # the --set values it was
                                   # checked with ("key=value"), so a model artefact rebuilds it

    @property
    def split_seed(self) -> int:
        """The seed of the data's validation / k-fold split: `data { split_seed }`, else the
        train seed."""
        return self.data.split_seed if self.data.split_seed is not None else self.train.seed

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The keys the metrics are reported under: `accuracy`, `top_5`, `f1_weighted`."""
        from .metrics import metric_key
        return tuple(metric_key(call) for call in self.metrics)
