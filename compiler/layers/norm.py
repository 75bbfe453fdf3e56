"""batchnorm: normalise each channel (axis 0 of the per-sample shape) over the batch.

momentum and eps are run-time inputs (`model.batchnorm_1.momentum`, `.eps`): changing them
compiles nothing. A frozen batchnorm (`freeze = true`) runs as in evaluation during training
too, with its running statistics, which it leaves as they are (Keras' trainable = False): its
scale, shift and statistics stay what the initial state (an `init = checkpoint(...)`) held."""
from __future__ import annotations

from ..options import Opt
from . import PARAM_OPTS, LayerDef, ShapeError, numel, register


def _shape(shape, opts):
    if not shape:
        raise ShapeError("batchnorm needs at least a channel axis")
    return shape


def _build(ctx, x, spec):
    channels, eps = spec.in_shape[0], ctx.option(spec, "eps")
    gamma = ctx.param(spec, "weight", (channels,), "ones", channels, channels)
    beta = ctx.param(spec, "bias", (channels,), "zeros", channels, channels)
    running_mean = ctx.stat(spec, "running_mean", (channels,), 0.0)
    running_var = ctx.stat(spec, "running_var", (channels,), 1.0)
    g = ctx.graph
    if not ctx.training or spec.options["freeze"]:
        return g.add("batchnorm_infer", x, gamma, beta, running_mean, running_var, eps)
    y, mean, invstd = g.add_multi("batchnorm_train", x, gamma, beta, eps)
    g.add_multi("batchnorm_stats_update", running_mean, running_var, mean, invstd, x,
                ctx.option(spec, "momentum"), eps)
    return y


register(LayerDef(
    "batchnorm",
    # positional as the README's layer table writes it: batchnorm(momentum, eps)
    (Opt("momentum", "float", 0.9, min=0.0, max=1.0, max_inclusive=False, positional=True,
         doc="weight of the old running statistics (Keras' convention; PyTorch's 0.1 is 0.9)"),
     Opt("eps", "float", 1e-5, min=0.0, min_inclusive=False, positional=True)) + PARAM_OPTS,
    _shape, _build,
    params=lambda shape, opts: 2 * shape[0],
    flops=lambda i, o, opts: 4 * numel(o),
    doc="batch normalisation with a learned scale and shift per channel",
))
