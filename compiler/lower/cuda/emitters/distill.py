"""Distillation's loss and its gradient (ops/distill.py) on packed targets [B, C + 1]: one
partial per row, then thread 0 sums the rows in order in float64, as the CPU target does."""
from __future__ import annotations

from . import SYNC, emitter, grid_loop, single
from .losses import _row_max_lse


def _soft_lse(ctx, z, c: str) -> list[str]:
    """After _row_max_lse (mx, lse of row i): lset, the log-sum-exp of the row over T."""
    return ["mt = mx / tt",
            "st = 0.0",
            f"for jj in range({c}):",
            f"    st += math.exp(np.float64({ctx.at(z, f'i * {c} + jj')}) / tt - mt)",
            "lset = math.log(st) + mt"]


def _scalars(ctx, t, alpha) -> list[str]:
    return [f"tt = np.float64({ctx.value(t)})", f"al = np.float64({ctx.value(alpha)})"]


@emitter("distill_ce")
def _distill(n, ctx):
    z, y, t, alpha = n.inputs
    b, c = ctx.shape(z)
    width = int(c) + 1
    rows = ctx.scratch([b], "float64")
    zat = ctx.at(z, f"i * {c} + jj")
    return _scalars(ctx, t, alpha) + grid_loop("i", b, [
        *_row_max_lse(ctx, z, c),
        *_soft_lse(ctx, z, c),
        f"yl = np.int64({ctx.at(y, f'i * {width} + {c}')})",
        "kl = 0.0",
        f"for jj in range({c}):",
        f"    q = np.float64({ctx.at(y, f'i * {width} + jj')})",
        "    if q > 0.0:",
        f"        kl += q * (math.log(q) - (np.float64({zat}) / tt - lset))",
        f"{rows.at('i')} = al * tt * tt * kl + (1.0 - al) * (lse - np.float64("
        f"{ctx.at(z, f'i * {c} + yl')}))"]) + [SYNC] + single([
            "acc = 0.0",
            f"for r in range({b}):",
            f"    acc += {rows.at('r')}",
            f"{ctx.at(n.outputs[0], '0')} = np.float32(acc / {b})"])


@emitter("distill_ce_grad")
def _distill_grad(n, ctx):
    z, y, t, alpha, d = n.inputs
    b, c = ctx.shape(z)
    width = int(c) + 1
    return _scalars(ctx, t, alpha) + grid_loop("e", f"{b} * {c}", [
        f"i = e // {c}",
        f"j = e - i * {c}",
        *_row_max_lse(ctx, z, c),
        *_soft_lse(ctx, z, c),
        f"zz = np.float64({ctx.at(z, 'e')})",
        "p = math.exp(zz - lse)",
        f"if j == np.int64({ctx.at(y, f'i * {width} + {c}')}):",
        "    p -= 1.0",
        "pt = math.exp(zz / tt - lset)",
        f"g = al * tt * (pt - np.float64({ctx.at(y, f'i * {width} + j')})) + (1.0 - al) * p",
        f"{ctx.at(n.outputs[0], 'e')} = np.float32(g * (np.float64({ctx.value(d)}) / {b}))"])


@emitter("packed_labels")
def _packed_labels(n, ctx):
    (y,) = n.inputs
    b, width = ctx.shape(y)
    return grid_loop("i", b, [
        f"{ctx.at(n.outputs[0], 'i')} = np.int64({ctx.at(y, f'i * {width} + {int(width) - 1}')})"])
