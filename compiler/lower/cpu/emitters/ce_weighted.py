"""Softmax cross-entropy with label smoothing and class weights (ops/ce_weighted.py).

The C weights arrive as scalar run-time inputs; each call packs them into a small array once
(outside the row loop). Rows run in parallel into per-row partials, summed serially."""
from __future__ import annotations

from . import emitter
from .losses import _row_logsumexp


def _weights(n, ctx, c) -> tuple[str, list[str]]:
    w = ctx.scratch((c,), "float64")
    return w, [f"{w}[{j}] = {ctx.name(v)}" for j, v in enumerate(n.inputs[3:3 + int(c)])]


@emitter("softmax_ce_ws")
def _ce(n, ctx):
    x, labels, eps = (ctx.name(v) for v in n.inputs[:3])
    b, c = ctx.shape(n.inputs[0])
    w, lines = _weights(n, ctx, c)
    rows, wrows = ctx.scratch((b,), "float64"), ctx.scratch((b,), "float64")
    total, wsum = ctx.fresh("total"), ctx.fresh("wsum")
    lines += [f"for i in {ctx.loop(b, c)}({b}):"]
    _row_logsumexp(lines, x, c)
    lines += ["    lse = np.log(s) + m",
              f"    yi = {labels}[i]",
              "    smooth = 0.0",
              f"    for j in range({c}):",
              f"        smooth += {w}[j] * (lse - {x}[i, j])",
              f"    {wrows}[i] = {w}[yi]",
              f"    {rows}[i] = ((1.0 - {eps}) * {w}[yi] * (lse - {x}[i, yi])"
              f" + {eps} / {c} * smooth)",
              f"{total} = 0.0",
              f"{wsum} = 0.0",
              f"for i in range({b}):",
              f"    {total} += {rows}[i]",
              f"    {wsum} += {wrows}[i]",
              f"{ctx.name(n.outputs[0])} = np.float32({total} / {wsum})"]
    return lines


@emitter("softmax_ce_ws_grad")
def _ce_grad(n, ctx):
    x, labels, eps = (ctx.name(v) for v in n.inputs[:3])
    d = ctx.name(n.inputs[-1])
    b, c = ctx.shape(n.inputs[0])
    out = ctx.name(n.outputs[0])
    w, lines = _weights(n, ctx, c)
    wall, wsum, scale = ctx.fresh("wall"), ctx.fresh("wsum"), ctx.fresh("scale")
    lines += [f"{wall} = 0.0",
              f"for j in range({c}):",
              f"    {wall} += {w}[j]",
              f"{wsum} = 0.0",
              f"for i in range({b}):",
              f"    {wsum} += {w}[{labels}[i]]",
              f"{scale} = np.float64({d}) / {wsum}",
              f"for i in {ctx.loop(b, c)}({b}):"]
    _row_logsumexp(lines, x, c)
    lines += [f"    yi = {labels}[i]",
              f"    wy = (1.0 - {eps}) * {w}[yi]",
              f"    coef = wy + {eps} / {c} * {wall}",
              f"    for j in range({c}):",
              f"        g = np.exp({x}[i, j] - m) / s * coef - {eps} / {c} * {w}[j]",
              "        if j == yi:",
              "            g -= wy",
              f"        {out}[i, j] = np.float32(g * {scale})"]
    return lines
