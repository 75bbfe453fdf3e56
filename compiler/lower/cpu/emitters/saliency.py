"""The input-gradient graph's own ops (ops/saliency.py): a column block copied out of the
packed rows, and the chosen-logit score (a float64 sum in row-major order)."""
from __future__ import annotations

from . import emitter


@emitter("columns")
def _columns(n, ctx):
    (x,) = n.inputs
    out = ctx.name(n.outputs[0])
    b = ctx.shape(x)[0]
    start, stop = n.attrs["start"], n.attrs["stop"]
    return [f"for i in {ctx.loop(b, stop - start)}({b}):",
            f"    for k in range({stop - start}):",
            f"        {out}[i, k] = {ctx.name(x)}[i, {start} + k]"]


@emitter("score")
def _score(n, ctx):
    z, w = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    total = ctx.fresh("total")
    return [f"{total} = 0.0",
            f"for i in range({b}):",
            f"    for j in range({c}):",
            f"        {total} += np.float64({z}[i, j]) * np.float64({w}[i, j])",
            f"{ctx.name(n.outputs[0])} = np.float32({total})"]
