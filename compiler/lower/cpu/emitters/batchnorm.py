"""Batch normalisation kernels: x viewed as [B, C, S], one thread per channel, float64 sums in a
fixed order (results do not depend on the thread count). eps and momentum are float64
run-time inputs, used in the float64 arithmetic their literals took part in."""
from __future__ import annotations

from . import emitter


def _spatial(ctx, v):
    dims = ctx.shape(v)
    return dims[0], dims[1], " * ".join(dims[2:]) or "1"



def _train_emit(n, ctx):
    x, gamma, beta, eps = (ctx.name(v) for v in n.inputs)
    y, mean, invstd = (ctx.name(v) for v in n.outputs)
    b, c, s = _spatial(ctx, n.inputs[0])
    xv, yv = ctx.fresh("xv"), ctx.fresh("yv")
    return [f"{xv} = view({x}, ({b}, {c}, {s}))",
            f"{yv} = view({y}, ({b}, {c}, {s}))",
            f"for ch in {ctx.loop(b, c, s)}({c}):",
            "    acc = 0.0",
            "    sq = 0.0",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            val = np.float64({xv}[bi, ch, si])",
            "            acc += val",
            "            sq += val * val",
            f"    count = {b} * ({s})",
            "    mu = acc / count",
            "    var = max(sq / count - mu * mu, 0.0)",
            f"    inv = 1.0 / np.sqrt(var + {eps})",
            f"    {mean}[ch] = mu",
            f"    {invstd}[ch] = inv",
            f"    scale = np.float32(inv * {gamma}[ch])",
            f"    shift = np.float32({beta}[ch] - mu * inv * {gamma}[ch])",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            {yv}[bi, ch, si] = {xv}[bi, ch, si] * scale + shift"]



def _grad_emit(n, ctx):
    x, gamma, mean, invstd, dy = (ctx.name(v) for v in n.inputs)
    dx, dgamma, dbeta = (ctx.name(v) for v in n.outputs)
    b, c, s = _spatial(ctx, n.inputs[0])
    xv, dyv, dxv = ctx.fresh("xv"), ctx.fresh("dyv"), ctx.fresh("dxv")
    return [f"{xv} = view({x}, ({b}, {c}, {s}))",
            f"{dyv} = view({dy}, ({b}, {c}, {s}))",
            f"{dxv} = view({dx}, ({b}, {c}, {s}))",
            f"for ch in {ctx.loop(b, c, s)}({c}):",
            "    sb = 0.0",
            "    sg = 0.0",
            f"    mu = np.float64({mean}[ch])",
            f"    inv = np.float64({invstd}[ch])",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            d = np.float64({dyv}[bi, ch, si])",
            "            sb += d",
            f"            sg += d * (np.float64({xv}[bi, ch, si]) - mu) * inv",
            f"    {dbeta}[ch] = sb",
            f"    {dgamma}[ch] = sg",
            f"    count = {b} * ({s})",
            f"    k = np.float64({gamma}[ch]) * inv / count",
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            xh = (np.float64({xv}[bi, ch, si]) - mu) * inv",
            f"            {dxv}[bi, ch, si] = k * (count * np.float64({dyv}[bi, ch, si]) - sb - xh * sg)"]



def _update_emit(n, ctx):
    rm, rv, mean, invstd = (ctx.name(v) for v in n.inputs[:4])
    b, c, s = _spatial(ctx, n.inputs[4])
    mom, eps = ctx.name(n.inputs[5]), ctx.name(n.inputs[6])
    count, rest = ctx.fresh("count"), ctx.fresh("rest")
    return [f"{count} = {b} * ({s})",
            f"{rest} = 1.0 - {mom}",
            f"for ch in range({c}):",
            f"    var = 1.0 / np.float64({invstd}[ch]) ** 2 - {eps}",
            f"    var = var * {count} / max({count} - 1, 1)",
            f"    {rm}[ch] = {mom} * {rm}[ch] + {rest} * {mean}[ch]",
            f"    {rv}[ch] = {mom} * {rv}[ch] + {rest} * var"]



def _per_channel(ctx, src, dst, shape, factors: list[str], shift: str | None) -> list[str]:
    """dst = src * scale (+ shift) for each channel of [b, c, s] views, `factors` the lines
    that set `scale` (and `shift`) from the channel's statistics."""
    b, c, s = shape
    sv, dv = ctx.fresh("sv"), ctx.fresh("dv")
    tail = " + shift" if shift else ""
    return [f"{sv} = view({src}, ({b}, {c}, {s}))",
            f"{dv} = view({dst}, ({b}, {c}, {s}))",
            f"for ch in {ctx.loop(b, c, s)}({c}):",
            *(f"    {line}" for line in factors),
            f"    for bi in range({b}):",
            f"        for si in range({s}):",
            f"            {dv}[bi, ch, si] = {sv}[bi, ch, si] * scale{tail}"]


def _infer_emit(n, ctx):
    """A frozen (or predicting) batch norm: the running statistics, folded into one scale
    and shift per channel."""
    x, gamma, beta, rm, rv, eps = (ctx.name(v) for v in n.inputs)
    return _per_channel(ctx, x, ctx.name(n.outputs[0]), _spatial(ctx, n.inputs[0]), [
        f"inv = 1.0 / np.sqrt(np.float64({rv}[ch]) + {eps})",
        f"scale = np.float32(inv * {gamma}[ch])",
        f"shift = np.float32({beta}[ch] - {rm}[ch] * inv * {gamma}[ch])"], shift="shift")


def _infer_grad_emit(n, ctx):
    """Its input gradient: dy times the same per-channel scale."""
    dy, gamma, rv, eps = (ctx.name(v) for v in n.inputs)
    return _per_channel(ctx, dy, ctx.name(n.outputs[0]), _spatial(ctx, n.inputs[0]), [
        f"scale = np.float32({gamma}[ch] / np.sqrt(np.float64({rv}[ch]) + {eps}))"],
        shift=None)


emitter("batchnorm_train")(_train_emit)
emitter("batchnorm_grad")(_grad_emit)
emitter("batchnorm_stats_update")(_update_emit)
emitter("batchnorm_infer")(_infer_emit)
emitter("batchnorm_infer_grad")(_infer_grad_emit)
