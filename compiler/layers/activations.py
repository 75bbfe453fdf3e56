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
# PyTorch's definitions (compiler/ops/activations.py). FLOPs count each exp / erf / log as one.
register(LayerDef("gelu", (), _same, _simple("gelu"), flops=_per_element(8),
                  doc="x * Phi(x), the exact (erf) form"))
register(LayerDef(
    "elu",
    (Opt("alpha", "float", 1.0, min=0.0, min_inclusive=False, positional=True,
         doc="the negative side's limit is -alpha"),),
    _same,
    lambda ctx, x, spec: ctx.graph.add("elu", x, ctx.option(spec, "alpha")),
    flops=_per_element(3), doc="x for x > 0, alpha * (exp(x) - 1) otherwise",
))
register(LayerDef("selu", (), _same, _simple("selu"), flops=_per_element(4),
                  doc="scale * elu(x, alpha) with the self-normalising constants"))
for _name in ("silu", "swish"):                 # two names, one op (swish is Ramachandran's)
    register(LayerDef(_name, (), _same, _simple("silu"), flops=_per_element(5),
                      doc="x * sigmoid(x)" + (" (= silu)" if _name == "swish" else "")))
register(LayerDef(
    "softplus",
    (Opt("beta", "float", 1.0, min=0.0, min_inclusive=False, positional=True,
         doc="sharpness: log(1 + exp(beta x)) / beta"),
     Opt("threshold", "float", 20.0, positional=True,
         doc="linear (the output is x) where beta x > threshold")),
    _same,
    lambda ctx, x, spec: ctx.graph.add("softplus", x, ctx.option(spec, "beta"),
                                       ctx.option(spec, "threshold")),
    flops=_per_element(5),
))
register(LayerDef("mish", (), _same, _simple("mish"), flops=_per_element(8),
                  doc="x * tanh(softplus(x))"))
register(LayerDef("hard_sigmoid", (), _same, _simple("hard_sigmoid"), flops=_per_element(3),
                  doc="relu6(x + 3) / 6 (torch.nn.Hardsigmoid)"))
register(LayerDef(
    "softmax", (), _softmax_shape, _simple("softmax"), flops=_per_element(5),
    doc="probabilities over the last axis (the losses already include it: use for outputs)",
))
