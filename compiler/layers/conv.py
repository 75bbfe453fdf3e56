"""Convolution and pooling layers on channels-first samples: [C, L] (1-D) and [C, H, W] (2-D).

conv1d / conv2d(filters, kernel, stride = 1, padding = 0 | same | valid, bias, init, bias_init)
maxpool1d / maxpool2d / avgpool1d / avgpool2d(size, stride = size)   (no padding)
global_avgpool                                                       [C, *spatial] -> [C]
filters, kernel, stride and size, stride may be given by position, as the README's layer
table writes them. A kernel or window larger than its padded input is refused at its option.
The weight is [filters, C, *kernel]; the bias is [filters, 1(, 1)] so the elementwise `add`
broadcasts it over the spatial axes (and its VJP sums the gradient over batch and space).
"""
from __future__ import annotations

from ..ir import BATCH
from ..ops.conv import out_size
from ..options import Opt
from . import PARAM_OPTS, WEIGHT_OPTS, LayerDef, ShapeError, numel, register
from .dense import INIT_OPTS, check_bias_init

_AXES = {1: "[channels, length]", 2: "[channels, height, width]"}


def _check_rank(name: str, shape, nd: int) -> None:
    if len(shape) != nd + 1:
        example = "[1, 28, 28]" if nd == 2 else "[1, 100]"
        raise ShapeError(f"{name} expects a channels-first input {_AXES[nd]}, got "
                         f"{list(shape)}; declare e.g. `input {example}`")


def _pads(kernel: int, stride: int, padding, name: str) -> tuple[int, int]:
    """(before, after) zero padding of one spatial axis."""
    if padding == "same":
        if stride != 1:
            raise ShapeError(f"{name}: padding = same needs stride = 1 (got stride = {stride}); "
                             f"give the padding as a number instead, e.g. padding = {kernel // 2}",
                             "padding")
        return (kernel - 1) // 2, kernel // 2      # an even kernel puts the extra zero after
    p = 0 if padding == "valid" else int(padding)
    return p, p


def _out(name: str, what: str, option: str, sizes, kernel: int, stride: int,
         pads) -> tuple[int, ...]:
    """Output size per spatial axis; a window larger than its padded input (an output size
    below 1) is refused at the window's option."""
    out = []
    for n in sizes:
        o = out_size(n, kernel, stride, *pads)
        if o < 1:
            padded = n + pads[0] + pads[1]
            pad = f" + padding {pads[0] + pads[1]}" if pads[0] + pads[1] else ""
            raise ShapeError(f"{name}: {what} {kernel} does not fit in a spatial size of {n}"
                             f"{pad} (output size {padded - kernel} // {stride} + 1 = {o})",
                             option, f"use {option} <= {padded}" + (
                                 "" if what == "window" else ", or pad the input"))
        out.append(o)
    return tuple(out)


# -- convolutions -------------------------------------------------------------------------
def _conv(nd: int):
    name = f"conv{nd}d"

    def shape(in_shape, opts):
        check_bias_init(opts)
        _check_rank(name, in_shape, nd)
        k, s = opts["kernel"], opts["stride"]
        pads = _pads(k, s, opts["padding"], name)
        return (opts["filters"],) + _out(name, "kernel", "kernel", in_shape[1:], k, s, pads)

    def params(in_shape, opts):
        f = opts["filters"]
        return f * in_shape[0] * opts["kernel"] ** nd + (f if opts["bias"] else 0)

    def flops(in_shape, out_shape, opts):
        macs = in_shape[0] * opts["kernel"] ** nd * numel(out_shape)
        return 2 * macs + (numel(out_shape) if opts["bias"] else 0)

    def build(ctx, x, spec):
        o = spec.options
        c, f, k = spec.in_shape[0], o["filters"], o["kernel"]
        pads = _pads(k, o["stride"], o["padding"], name)
        fan_in, fan_out = c * k ** nd, f * k ** nd
        w = ctx.param(spec, "weight", (f, c) + (k,) * nd, o["init"], fan_in, fan_out)
        y = ctx.graph.add("conv", x, w, stride=(o["stride"],) * nd, padding=(pads,) * nd)
        if o["bias"]:
            b = ctx.param(spec, "bias", (f,) + (1,) * nd, o["bias_init"], fan_in, fan_out)
            y = ctx.graph.add("add", y, b)
        return y

    register(LayerDef(
        name,
        (Opt("filters", "int", required=True, min=1, positional=True, doc="output channels"),
         Opt("kernel", "int", required=True, min=1, positional=True, doc="window size"),
         Opt("stride", "int", 1, min=1, positional=True),
         Opt("padding", "int_or_enum", 0, min=0, choices=("same", "valid"),
             doc="zeros on each side, or `same` (output size = input size) / `valid` (= 0)"),
         Opt("bias", "bool", True)) + INIT_OPTS + PARAM_OPTS + WEIGHT_OPTS,
        shape, build, params, flops,
        doc=f"{nd}-D convolution (cross-correlation) over a channels-first input",
    ))


# -- pooling ------------------------------------------------------------------------------
def _pool(nd: int, kind: str):
    name = f"{kind}pool{nd}d"

    def stride(opts):
        return opts["stride"] if opts["stride"] is not None else opts["size"]

    def shape(in_shape, opts):
        _check_rank(name, in_shape, nd)
        return (in_shape[0],) + _out(name, "window", "size", in_shape[1:], opts["size"],
                                     stride(opts), (0, 0))

    def build(ctx, x, spec):
        o = spec.options
        return ctx.graph.add(f"{kind}pool", x, size=(o["size"],) * nd, stride=(stride(o),) * nd)

    register(LayerDef(
        name,
        (Opt("size", "int", required=True, min=1, positional=True, doc="window size"),
         Opt("stride", "int", None, min=1, positional=True, doc="default: the window size")),
        shape, build,
        flops=lambda i, o, opts: numel(o) * opts["size"] ** nd,
        doc=f"{'maximum' if kind == 'max' else 'mean'} over {nd}-D windows (no padding)",
    ))


for _nd in (1, 2):
    _conv(_nd)
    _pool(_nd, "max")
    _pool(_nd, "avg")


def _global_shape(in_shape, opts):
    if len(in_shape) not in (2, 3):
        raise ShapeError(f"global_avgpool expects a channels-first input [channels, length] or "
                         f"[channels, height, width], got {list(in_shape)}")
    return (in_shape[0],)


def _global_build(ctx, x, spec):
    spatial = tuple(spec.in_shape[1:])
    y = ctx.graph.add("avgpool", x, size=spatial, stride=spatial)   # [B, C, 1(, 1)]
    return ctx.graph.add("reshape", y, shape=(BATCH, spec.in_shape[0]))


register(LayerDef(
    "global_avgpool", (), _global_shape, _global_build,
    flops=lambda i, o, opts: numel(i),
    doc="mean over all spatial positions: [C, *spatial] -> [C]",
))
