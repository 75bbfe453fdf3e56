"""The gradient-norm clipping factor and the max-norm constraint (ops/regularize.py): float64
sums in fixed pieces (emitters.fixed_sum), rounded once. (The penalty's gradient is an
elementwise formula; the penalty's value is reported by the runtime from the weights.)"""
from __future__ import annotations

from ....ops.regularize import MAX_NORM_EPS, NORM_EPS
from . import SYNC, emitter, fixed_sum, grid_loop


@emitter("clip_norm_coef")
def _clip_coef(n, ctx):
    *grads, max_norm = n.inputs
    s = ctx.fresh("clip")
    lines = [f"{s}_total = 0.0"]
    for g in grads:
        element = ctx.at(g, "{k}")
        lines += fixed_sum(ctx, " * ".join(ctx.shape(g)),
                           lambda k, e=element: f"np.float64({e.format(k=k)}) ** 2", f"{s}_part")
        lines.append(f"{s}_total += {s}_part")
    return lines + ["if tid == 0:",
                    f"    {ctx.at(n.outputs[0], '0')} = np.float32(min(1.0, "
                    f"np.float64({ctx.value(max_norm)}) / (math.sqrt({s}_total) + {NORM_EPS!r})))"]


@emitter("max_norm")
def _max_norm(n, ctx):
    w, c = n.inputs
    dims = ctx.shape(w)
    axis = n.attrs["out_axis"]
    units = dims[axis]
    outer = " * ".join(dims[:axis]) or "1"
    inner = " * ".join(dims[axis + 1:]) or "1"
    factors = ctx.scratch([units], "float32")
    total = " * ".join(dims)
    return grid_loop("u", units, [
        "acc = 0.0",
        f"for o in range({outer}):",
        f"    for i in range({inner}):",
        f"        acc += np.float64({ctx.at(w, f'(o * {units} + u) * ({inner}) + i')}) ** 2",
        "nrm = math.sqrt(acc)",
        f"{factors.at('u')} = np.float32(min(nrm, np.float64({ctx.value(c)})) / "
        f"({MAX_NORM_EPS!r} + nrm))"]) + [SYNC] + grid_loop("e", total, [
            f"{ctx.at(w, 'e')} = {ctx.at(w, 'e')} * "
            f"{factors.at(f'(e // ({inner})) % {units}')}"])
