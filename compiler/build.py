"""Model section -> forward IR graph, one layer at a time through each LayerDef's `build`.

A numeric option that changes no shape (a dropout rate, batch-norm momentum, an augmentation's
magnitude, the optimizer's options) enters the graph as a run-time hyperparameter: a 0-d
float64 input of role "hyper" (`BuildContext.hyper`), named by the `--set` path that changes
it, so the generated kernels read it and a different value compiles nothing.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from .ir import BATCH, Graph, TensorType, Value
from .layers import LAYERS
from .recipe import Call, LayerSpec, ModelSpec

SCALAR_TYPES = {"lr": TensorType((), "float32"), "step": TensorType((), "int64"),
                "seed": TensorType((), "int64")}
HYPER_TYPE = TensorType((), "float64")


@dataclass(frozen=True)
class HyperInfo:
    """A run-time hyperparameter: a scalar graph input (role "hyper") whose value the kernels
    read from their `hypers` argument, so changing it compiles nothing."""
    name: str                 # "optimizer.momentum", "model.dropout_1.rate", ...
    value: float


@dataclass(frozen=True)
class ParamInfo:
    """What the runtime needs to create and name a parameter; the order is the kernel's."""

    name: str                 # "dense_1.weight"
    shape: tuple[int, ...]
    init: str                 # "he", "xavier", "zeros", "constant", ... (compiler/inits.py)
    fan_in: int
    fan_out: int
    lr_mult: float = 1.0      # Caffe's lr_mult / decay_mult for this parameter
    decay_mult: float = 1.0
    layer: str = ""           # "dense_1": the layer whose options hold the multipliers
    option_prefix: str = ""   # "bias_" for a bias (its options are bias_lr_mult, ...)
    init_options: tuple[tuple[str, Any], ...] = ()   # the initialiser's, (("v", 0.1),)
    out_axis: int = 0         # the axis of outputs: 0 for conv's [F, C, *K], 1 for dense's
    frozen: bool = False      # its layer's `freeze = true`: no gradient, slot or update

    def mult_hyper(self, kind: str) -> str:
        """The run-time input of this parameter's `kind` ("lr" | "decay") multiplier: the
        layer option's name, `model.dense_1.bias_lr_mult`."""
        return f"model.{self.layer}.{self.option_prefix}{kind}_mult"


@dataclass(frozen=True)
class StatInfo:
    """Non-trained state a layer keeps (batchnorm's running statistics), or a pruned
    weight's mask (compiler/prune.py), which the step reads and the runtime sets."""

    name: str                 # "batchnorm_1.running_mean", "dense_1.weight:mask"
    shape: tuple[int, ...]
    initial: float
    mask_of: str = ""         # a mask: the parameter it masks ("dense_1.weight")


class BuildContext:
    def __init__(self, graph: Graph, training: bool):
        self.graph = graph
        self.training = training
        self.params: list[ParamInfo] = []
        self.stats: list[StatInfo] = []
        self._scalars: dict[str, Value] = {}
        self.hypers: list[HyperInfo] = []
        self._hypers: dict[str, Value] = {}

    def param(self, spec: LayerSpec, suffix: str, shape, init: Call | str, fan_in: int,
              fan_out: int, out_axis: int = 0) -> Value:
        """`init` is the checked `init = ...` call of the recipe, or the name of an
        initialiser the layer fixes (batchnorm's scale is "ones")."""
        prefix = "bias_" if suffix == "bias" else ""
        kind, options = (init.kind, tuple(init.options.items())) if isinstance(init, Call) \
            else (init, ())
        info = ParamInfo(f"{spec.name}.{suffix}", tuple(shape), kind, fan_in, fan_out,
                         spec.options.get(f"{prefix}lr_mult", 1.0),
                         spec.options.get(f"{prefix}decay_mult", 1.0),
                         spec.name, prefix, options, out_axis,
                         bool(spec.options.get("freeze", False)))
        self.params.append(info)
        return self.graph.input(info.name, TensorType(info.shape), "param")

    def stat(self, spec: LayerSpec, suffix: str, shape, initial: float) -> Value:
        info = StatInfo(f"{spec.name}.{suffix}", tuple(shape), initial)
        self.stats.append(info)
        return self.graph.input(info.name, TensorType(info.shape), "stat")

    def scalar(self, name: str) -> Value:
        if name not in self._scalars:
            self._scalars[name] = self.graph.input(name, SCALAR_TYPES[name], "scalar")
        return self._scalars[name]

    def hyper(self, name: str, value: float) -> Value:
        """The run-time hyperparameter `name` (one graph input per name, created on first use;
        StepGraphs.hypers lists them with their values)."""
        if name not in self._hypers:
            self.hypers.append(HyperInfo(name, float(value)))
            self._hypers[name] = self.graph.input(name, HYPER_TYPE, "hyper")
        return self._hypers[name]

    def option(self, spec: LayerSpec, option: str) -> Value:
        """A layer's numeric option as a run-time input, named `model.<layer>.<option>` (the
        layer's name as `recipec check` prints it, which `--set` takes)."""
        return self.hyper(f"model.{spec.name}.{option}", spec.options[option])

    @staticmethod
    def salt(spec: LayerSpec) -> int:
        """A per-layer stream id for counter-based RNG, stable across runs and processes."""
        return zlib.crc32(spec.name.encode())

    def build_layer(self, x: Value, spec: LayerSpec) -> Value:
        return LAYERS[spec.kind].build(self, x, spec)


@dataclass
class Forward:
    graph: Graph
    x: Value
    output: Value
    params: list[ParamInfo]
    ctx: BuildContext


def build_forward(model: ModelSpec, training: bool, label_type: TensorType | None = None,
                  augment: tuple = ()) -> Forward:
    """Inputs: the batch `x` [B, *input_shape] (and labels `y` when `label_type` is given).
    When training, the `augment` calls (DataSpec.augment) transform `x` before the layers."""
    g = Graph()
    x = g.input("x", TensorType((BATCH,) + tuple(model.input_shape)), "x")
    if label_type is not None:
        g.input("y", label_type, "y")
    ctx = BuildContext(g, training)
    h = x
    if training and augment:
        from .augment import apply_augmentation
        h = apply_augmentation(ctx, x, tuple(augment))
    for spec in model.layers:
        h = ctx.build_layer(h, spec)
    g.outputs["output"] = h
    return Forward(g, x, h, ctx.params, ctx)
