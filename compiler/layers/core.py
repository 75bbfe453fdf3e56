"""Structural layers: dropout, flatten and the residual block."""
from __future__ import annotations

from ..ir import BATCH
from ..options import Opt
from . import LayerDef, ShapeError, numel, register


def _dropout_build(ctx, x, spec):
    # A rate of zero is structure (no op at all); any other rate is a run-time input, so
    # `--set model.dropout_1.rate=0.3` compiles nothing unless it turns dropout on or off.
    if not ctx.training or spec.options["rate"] == 0.0:
        return x
    return ctx.graph.add("dropout", x, ctx.scalar("step"), ctx.scalar("seed"),
                         ctx.option(spec, "rate"), salt=ctx.salt(spec))


register(LayerDef(
    "dropout",
    (Opt("rate", "float", required=True, min=0.0, max=1.0, max_inclusive=False,
         positional=True, doc="fraction of units zeroed during training"),),
    lambda shape, opts: shape, _dropout_build,
    flops=lambda i, o, opts: numel(o),
))

register(LayerDef(
    "flatten", (),
    lambda shape, opts: (numel(shape),),
    lambda ctx, x, spec: ctx.graph.add("reshape", x, shape=(BATCH,) + tuple(spec.out_shape)),
))


def _residual_shape(shape, opts):
    # The checker infers the body's shapes and calls this with the body's output shape
    # in opts["_body_out"]; a residual adds its input to its body's output.
    body_out = opts.get("_body_out", shape)
    if tuple(body_out) != tuple(shape):
        raise ShapeError(f"residual body maps {list(shape)} to {list(body_out)}; "
                         "it must keep the shape to be added back")
    return shape


def _residual_build(ctx, x, spec):
    h = x
    for inner in spec.body:
        h = ctx.build_layer(h, inner)
    return ctx.graph.add("add", x, h)


register(LayerDef(
    "residual", (), _residual_shape, _residual_build, block=True,
    flops=lambda i, o, opts: numel(o),
    doc="h = h + body(h)",
))
