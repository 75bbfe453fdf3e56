"""dense(units): y = x W + b, on the last (feature) axis of a flat input."""
from __future__ import annotations

from ..inits import MATRIX_ONLY, init_option
from ..options import Opt
from . import PARAM_OPTS, WEIGHT_OPTS, LayerDef, ShapeError, register

# the weight and bias initialisers of dense and conv layers (compiler/inits.py)
INIT_OPTS = (init_option("init", "he", doc="weight initialiser"),
             init_option("bias_init", "zeros", doc="bias initialiser"))


def check_bias_init(opts) -> None:
    """A bias is a vector: an initialiser of matrices is refused at its name."""
    kind = opts["bias_init"].kind
    if kind in MATRIX_ONLY:
        raise ShapeError(f"bias_init `{kind}` initialises a matrix, and a bias is a vector",
                         option="bias_init", hint="use it as `init = ...` (the weight's); "
                         "a bias takes e.g. `zeros` or `constant(0.1)`")


def _shape(shape, opts):
    check_bias_init(opts)
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
    # the weight is stored [fan_in, units]: its output axis (orthogonal's rows) is the last
    w = ctx.param(spec, "weight", (fan_in, units), spec.options["init"], fan_in, units,
                  out_axis=1)
    y = ctx.graph.add("matmul", x, w)
    if spec.options["bias"]:
        b = ctx.param(spec, "bias", (units,), spec.options["bias_init"], fan_in, units)
        y = ctx.graph.add("add", y, b)
    return y


register(LayerDef(
    "dense",
    (Opt("units", "int", required=True, min=1, positional=True, doc="output features"),
     Opt("bias", "bool", True)) + INIT_OPTS + PARAM_OPTS + WEIGHT_OPTS,
    _shape, _build, _params, _flops,
    doc="fully-connected layer",
))
