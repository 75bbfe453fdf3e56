"""Layers a recipe's `model { ... }` may use.

A layer is added in one place: its `LayerDef` gives the option schema, the shape rule (per
sample, no batch dimension), the parameter and FLOP counts for `recipec check`, and `build`,
which appends the layer's IR ops to a graph. The checker uses the first four; the IR builder
(`compiler/build.py`) uses `build`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..options import Opt

if TYPE_CHECKING:
    from ..build import BuildContext
    from ..ir import Value
    from ..recipe import LayerSpec

Shape = tuple[int, ...]


class ShapeError(Exception):
    """Raised by a shape rule; the checker turns it into an E302 pointing at the layer, or at
    the value of `option` when one option is what does not fit (`maxpool2d(9)` on a 8×8
    input points at the 9), with `hint` as its help."""

    def __init__(self, message: str, option: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.option, self.hint = option, hint


@dataclass(frozen=True)
class LayerDef:
    name: str
    opts: tuple[Opt, ...]
    shape: Callable[[Shape, dict[str, Any]], Shape]
    build: Callable[["BuildContext", "Value", "LayerSpec"], "Value"]
    params: Callable[[Shape, dict[str, Any]], int] = lambda shape, opts: 0
    flops: Callable[[Shape, Shape, dict[str, Any]], int] = lambda i, o, opts: 0
    block: bool = False            # takes a `{ body }` of layers (e.g. residual)
    doc: str = ""


LAYERS: dict[str, LayerDef] = {}

# Per-parameter learning-rate and weight-decay multipliers (Caffe's lr_mult / decay_mult), taken
# by every layer with parameters: `dense(500, bias_lr_mult = 2)` trains the bias at twice the rate.
# `freeze = true` keeps all of the layer's parameters as they are (compiler/transfer.py).
PARAM_OPTS = tuple(Opt(f"{prefix}{kind}_mult", "float", 1.0, min=0.0,
                       doc=f"multiplies the {'bias' if prefix else 'weight'}'s "
                           f"{'learning rate' if kind == 'lr' else 'weight decay'}")
                   for prefix in ("", "bias_") for kind in ("lr", "decay")) + (
    Opt("freeze", "bool", False, doc="no gradient, optimizer slot or update for the layer's "
        "parameters (a frozen batchnorm also keeps its statistics and uses them)"),)

# The weight's regularisation and constraint (Keras' kernel_regularizer = L1L2(l1, l2) and
# kernel_constraint = MaxNorm(c)), taken by every layer with a weight; the bias is never
# regularised. Unset (None) l1 and l2 mean "the recipe's `regularize { }` values"; a layer
# that sets either has exactly its own (compiler/regularize.py).
WEIGHT_OPTS = (
    Opt("l1", "float", None, min=0.0, doc="adds l1 * sum|w| of the weight to the loss"),
    Opt("l2", "float", None, min=0.0, doc="adds l2 * sum w^2 of the weight to the loss"),
    Opt("max_norm", "float", None, min=0.0, min_inclusive=False,
        doc="after each update, rescales each output unit's incoming weights to norm <= c"))


def register(layer: LayerDef) -> LayerDef:
    assert layer.name not in LAYERS, f"layer {layer.name} registered twice"
    LAYERS[layer.name] = layer
    return layer


def numel(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


from . import activations, conv, core, dense, norm  # noqa: E402,F401  (registration side effects)
