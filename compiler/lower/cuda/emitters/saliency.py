"""The input-gradient graph's own ops (ops/saliency.py) on the device: a column block copied
out of the packed rows, and the chosen-logit score (thread 0 sums in row-major order)."""
from __future__ import annotations

from . import emitter, grid_loop, single


@emitter("columns")
def _columns(n, ctx):
    (x,) = n.inputs
    b, width = ctx.shape(x)
    start, stop = n.attrs["start"], n.attrs["stop"]
    k = stop - start
    return grid_loop("e", f"{b} * {k}", [
        f"i = e // {k}",
        f"{ctx.at(n.outputs[0], 'e')} = {ctx.at(x, f'i * {width} + {start} + (e - i * {k})')}"])


@emitter("score")
def _score(n, ctx):
    z, w = n.inputs
    b, c = ctx.shape(z)
    return single(["acc = 0.0",
                   f"for e in range({b} * {c}):",
                   f"    acc += np.float64({ctx.at(z, 'e')}) * np.float64({ctx.at(w, 'e')})",
                   f"{ctx.at(n.outputs[0], '0')} = np.float32(acc)"])
