"""Batch normalisation (ops/batchnorm.py) over x viewed as [B, C, S]: one writer per channel
for the statistics (float64, a fixed order), then one per element."""
from __future__ import annotations

from . import SYNC, emitter, grid_loop


def _dims(ctx, x) -> tuple[str, str, str]:
    """(B, C, S): S the product of the spatial axes (1 for [B, C])."""
    dims = ctx.shape(x)
    return dims[0], dims[1], " * ".join(dims[2:]) or "1"


def _over_channel(b: str, c: str, s: str, body: list[str]) -> list[str]:
    """`body` for every element (bb, ss) of channel ch, in row-major order; `k` its index."""
    return [f"for bb in range({b}):",
            f"    for ss in range({s}):",
            f"        k = (bb * {c} + ch) * ({s}) + ss"] + ["        " + ln for ln in body]


@emitter("batchnorm_train")
def _train(n, ctx):
    x, gamma, beta, eps = n.inputs
    y, mean, invstd = n.outputs
    b, c, s = _dims(ctx, x)
    m = f"({b} * {s})"
    mean64, inv64 = ctx.scratch([c], "float64"), ctx.scratch([c], "float64")
    return grid_loop("ch", c, [
        "acc = 0.0",
        *_over_channel(b, c, s, [f"acc += np.float64({ctx.at(x, 'k')})"]),
        f"mu = acc / {m}",
        "acc = 0.0",
        *_over_channel(b, c, s, [f"dd = np.float64({ctx.at(x, 'k')}) - mu",
                                 "acc += dd * dd"]),
        f"inv = 1.0 / math.sqrt(acc / {m} + np.float64({ctx.value(eps)}))",
        f"{mean64.at('ch')} = mu",
        f"{inv64.at('ch')} = inv",
        f"{ctx.at(mean, 'ch')} = np.float32(mu)",
        f"{ctx.at(invstd, 'ch')} = np.float32(inv)"]) + [SYNC] + grid_loop(
            "e", f"{b} * {c} * ({s})", [
                f"ch = (e // ({s})) % {c}",
                f"xh = (np.float64({ctx.at(x, 'e')}) - {mean64.at('ch')}) * {inv64.at('ch')}",
                f"{ctx.at(y, 'e')} = np.float32(xh * np.float64({ctx.at(gamma, 'ch')}) + "
                f"np.float64({ctx.at(beta, 'ch')}))"])


@emitter("batchnorm_grad")
def _grad(n, ctx):
    x, gamma, mean, invstd, dy = n.inputs
    dx, dgamma, dbeta = n.outputs
    b, c, s = _dims(ctx, x)
    m = f"({b} * {s})"
    dg64, db64 = ctx.scratch([c], "float64"), ctx.scratch([c], "float64")
    xhat = (f"(np.float64({ctx.at(x, 'k')}) - np.float64({ctx.at(mean, 'ch')})) * "
            f"np.float64({ctx.at(invstd, 'ch')})")
    return grid_loop("ch", c, [
        "sb = 0.0",
        "sg = 0.0",
        *_over_channel(b, c, s, [f"gk = np.float64({ctx.at(dy, 'k')})",
                                 "sb += gk",
                                 f"sg += gk * {xhat}"]),
        f"{db64.at('ch')} = sb",
        f"{dg64.at('ch')} = sg",
        f"{ctx.at(dbeta, 'ch')} = np.float32(sb)",
        f"{ctx.at(dgamma, 'ch')} = np.float32(sg)"]) + [SYNC] + grid_loop(
            "k", f"{b} * {c} * ({s})", [
                f"ch = (k // ({s})) % {c}",
                f"scale = np.float64(np.float32({ctx.at(gamma, 'ch')} * "
                f"{ctx.at(invstd, 'ch')}) / np.float32({m}))",
                f"{ctx.at(dx, 'k')} = np.float32(scale * ({m} * np.float64("
                f"{ctx.at(dy, 'k')}) - {db64.at('ch')} - {xhat} * {dg64.at('ch')}))"])


@emitter("batchnorm_stats_update")
def _stats(n, ctx):
    rm, rv, mean, invstd, x, momentum, eps = n.inputs
    b, c, s = _dims(ctx, x)
    count = f"({b} * {s})"
    mo = f"np.float64({ctx.value(momentum)})"
    return grid_loop("ch", c, [
        f"var = 1.0 / np.float64({ctx.at(invstd, 'ch')}) ** 2 - "
        f"np.float64({ctx.value(eps)})",
        f"unbiased = var * {count} / max({count} - 1, 1)",
        f"{ctx.at(rm, 'ch')} = np.float32({mo} * {ctx.at(rm, 'ch')} + (1.0 - {mo}) * "
        f"{ctx.at(mean, 'ch')})",
        f"{ctx.at(rv, 'ch')} = np.float32({mo} * {ctx.at(rv, 'ch')} + (1.0 - {mo}) * "
        "unbiased)"])


@emitter("batchnorm_infer")
def _infer(n, ctx):
    x, gamma, beta, rm, rv, eps = n.inputs
    b, c, s = _dims(ctx, x)
    return grid_loop("e", f"{b} * {c} * ({s})", [
        f"ch = (e // ({s})) % {c}",
        f"inv = 1.0 / math.sqrt(np.float64({ctx.at(rv, 'ch')}) + np.float64({ctx.value(eps)}))",
        f"{ctx.at(n.outputs[0], 'e')} = np.float32(np.float64({ctx.at(x, 'e')} - "
        f"{ctx.at(rm, 'ch')}) * (inv * np.float64({ctx.at(gamma, 'ch')})) + "
        f"np.float64({ctx.at(beta, 'ch')}))"])


@emitter("batchnorm_infer_grad")
def _infer_grad(n, ctx):
    dy, gamma, rv, eps = n.inputs
    b, c, s = _dims(ctx, dy)
    return grid_loop("e", f"{b} * {c} * ({s})", [
        f"ch = (e // ({s})) % {c}",
        f"scale = np.float64({ctx.at(gamma, 'ch')}) / math.sqrt(np.float64("
        f"{ctx.at(rv, 'ch')}) + np.float64({ctx.value(eps)}))",
        f"{ctx.at(n.outputs[0], 'e')} = np.float32(np.float64({ctx.at(dy, 'e')}) * scale)"])
