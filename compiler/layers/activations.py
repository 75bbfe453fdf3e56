"""Elementwise activations: shape-preserving layers with no parameters."""
from __future__ import annotations

from ..options import Opt
from . import LayerDef, ShapeError, numel, register


def _same(shape, opts):
    return shape


def _per_element(cost):
    return lambda i, o, opts: cost * numel(o)


def _simple(op):
    return lambda ctx, x, spec: ctx.graph.add(op, x)


def _softmax_shape(shape, opts):
    if len(shape) != 1:
        raise ShapeError(f"softmax expects a flat input [features], got {list(shape)}")
    return shape


register(LayerDef("relu", (), _same, _simple("relu"), flops=_per_element(1)))
register(LayerDef("sigmoid", (), _same, _simple("sigmoid"), flops=_per_element(4)))
register(LayerDef("tanh", (), _same, _simple("tanh"), flops=_per_element(4)))
register(LayerDef(
    "leaky_relu",
    (Opt("alpha", "float", 0.01, min=0.0, max=1.0, positional=True, doc="slope for x < 0"),),
    _same,
    lambda ctx, x, spec: ctx.graph.add("leaky_relu", x, ctx.option(spec, "alpha")),
    flops=_per_element(2),
))
register(LayerDef(
    "softmax", (), _softmax_shape, _simple("softmax"), flops=_per_element(5),
    doc="probabilities over the last axis (the losses already include it: use for outputs)",
))
