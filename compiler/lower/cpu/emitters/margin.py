"""Multi-class margin loss over [B, C] logits (ops/margin.py); per-row partials in parallel,
summed serially in a fixed order."""
from __future__ import annotations

from . import emitter


@emitter("multi_margin")
def _margin(n, ctx):
    x, labels, margin = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    rows = ctx.scratch((b,), "float64")
    total = ctx.fresh("total")
    return [f"for i in {ctx.loop(b, c)}({b}):",
            f"    yi = {labels}[i]",
            f"    base = {margin} - {x}[i, yi]",
            "    s = 0.0",
            f"    for j in range({c}):",
            f"        t = base + {x}[i, j]",
            "        if j != yi and t > 0.0:",
            "            s += t",
            f"    {rows}[i] = s",
            f"{total} = 0.0",
            f"for i in range({b}):",
            f"    {total} += {rows}[i]",
            f"{ctx.name(n.outputs[0])} = np.float32({total} / ({b} * {c}))"]


@emitter("multi_margin_grad")
def _margin_grad(n, ctx):
    x, labels, margin, d = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    out, scale = ctx.name(n.outputs[0]), ctx.fresh("scale")
    return [f"{scale} = np.float32({d} / ({b} * {c}))",
            f"for i in {ctx.loop(b, c)}({b}):",
            f"    yi = {labels}[i]",
            f"    base = {margin} - {x}[i, yi]",
            "    active = 0",
            f"    for j in range({c}):",
            f"        if j != yi and base + {x}[i, j] > 0.0:",
            f"            {out}[i, j] = {scale}",
            "            active += 1",
            "        else:",
            f"            {out}[i, j] = np.float32(0.0)",
            f"    {out}[i, yi] = np.float32(-active) * {scale}"]
