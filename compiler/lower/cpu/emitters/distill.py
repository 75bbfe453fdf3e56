"""Distillation's loss and its gradient (ops/distill.py) on packed targets [B, C + 1].

Rows run in parallel into per-row partials (float64), summed serially in row order."""
from __future__ import annotations

from . import emitter
from .losses import _row_logsumexp


def _row_parts(lines, z, y, t, c):
    """After _row_logsumexp: lse (of z), lset (of z / T) and the row's label yi."""
    lines += ["    lse = np.log(s) + m",
              f"    mt = m / {t}",
              "    st = 0.0",
              f"    for j in range({c}):",
              f"        st += np.exp({z}[i, j] / {t} - mt)",
              "    lset = np.log(st) + mt",
              f"    yi = np.int64({y}[i, {c}])"]


@emitter("distill_ce")
def _distill(n, ctx):
    z, y, t, alpha = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    rows = ctx.scratch((b,), "float64")
    total = ctx.fresh("total")
    lines = [f"for i in {ctx.loop(b, c)}({b}):"]
    _row_logsumexp(lines, z, c)
    _row_parts(lines, z, y, t, c)
    lines += ["    kl = 0.0",
              f"    for j in range({c}):",
              f"        q = np.float64({y}[i, j])",
              "        if q > 0.0:",
              f"            kl += q * (np.log(q) - ({z}[i, j] / {t} - lset))",
              f"    {rows}[i] = ({alpha} * {t} * {t} * kl"
              f" + (1.0 - {alpha}) * (lse - {z}[i, yi]))",
              f"{total} = 0.0",
              f"for i in range({b}):",
              f"    {total} += {rows}[i]",
              f"{ctx.name(n.outputs[0])} = np.float32({total} / {b})"]
    return lines


@emitter("distill_ce_grad")
def _distill_grad(n, ctx):
    z, y, t, alpha, d = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    out, scale = ctx.name(n.outputs[0]), ctx.fresh("scale")
    lines = [f"{scale} = np.float64({d}) / {b}", f"for i in {ctx.loop(b, c)}({b}):"]
    _row_logsumexp(lines, z, c)
    _row_parts(lines, z, y, t, c)
    lines += [f"    for j in range({c}):",
              f"        p = np.exp({z}[i, j] - lse)",
              "        if j == yi:",
              "            p -= 1.0",
              f"        pt = np.exp({z}[i, j] / {t} - lset)",
              f"        g = {alpha} * {t} * (pt - {y}[i, j]) + (1.0 - {alpha}) * p",
              f"        {out}[i, j] = np.float32(g * {scale})"]
    return lines


@emitter("packed_labels")
def _packed_labels(n, ctx):
    (y,) = (ctx.name(v) for v in n.inputs)
    b, width = ctx.shape(n.inputs[0])
    out = ctx.name(n.outputs[0])
    return [f"for i in range({b}):",
            f"    {out}[i] = np.int64({y}[i, {int(width) - 1}])"]
