"""dense(units): y = x W + b, on the last (feature) axis of a flat input."""
from __future__ import annotations

from ..options import Opt
from . import PARAM_OPTS, LayerDef, ShapeError, register

INITS = ("zeros", "uniform", "normal", "xavier", "glorot", "he", "kaiming", "pytorch",
         "lecun_uniform")


def _shape(shape, opts):
    if len(shape) != 1:
        raise ShapeError(f"dense expects a flat input [features], got {list(shape)}; "
                         "add `flatten` before it")
    return (opts["units"],)


def _params(shape, opts):
    return shape[0] * opts["units"] + (opts["units"] if opts["bias"] else 0)


def _flops(in_shape, out_shape, opts):
    return 2 * in_shape[0] * opts["units"] + (opts["units"] if opts["bias"] else 0)


def _build(ctx, x, spec):
    fan_in, units = spec.in_shape[0], spec.options["units"]
    w = ctx.param(spec, "weight", (fan_in, units), spec.options["init"], fan_in, units)
    y = ctx.graph.add("matmul", x, w)
    if spec.options["bias"]:
        b = ctx.param(spec, "bias", (units,), spec.options["bias_init"], fan_in, units)
        y = ctx.graph.add("add", y, b)
    return y


register(LayerDef(
    "dense",
    (Opt("units", "int", required=True, min=1, positional=True, doc="output features"),
     Opt("bias", "bool", True),
     Opt("init", "enum", "he", choices=INITS, doc="weight initialiser"),
     Opt("bias_init", "enum", "zeros", choices=INITS)) + PARAM_OPTS,
    _shape, _build, _params, _flops,
    doc="fully-connected layer",
))
