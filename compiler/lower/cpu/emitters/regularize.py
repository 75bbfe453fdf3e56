"""Gradient clipping's global norm and the max-norm constraint as loops of the step function.

Both are opt-in and touch each parameter once per step, so they are emitted inline rather
than added to the shared library (which every recipe would then recompile once). The penalty
itself needs no emitter: only its gradient (an elementwise formula) lies on the step's path,
and the scalar penalty is reported from the weights in numpy (runtime/program.py).
"""
from __future__ import annotations

from ....ops.regularize import MAX_NORM_EPS, NORM_EPS
from . import emitter


def _nest(shape: list[str], pad: str, prefix: str) -> tuple[list[str], str, str]:
    """Loops over `shape`: (lines, the innermost indentation, the index tuple)."""
    lines, names = [], []
    for k, dim in enumerate(shape):
        name = f"{prefix}{k}"
        lines.append(f"{pad}for {name} in range({dim}):")
        pad += "    "
        names.append(name)
    return lines, pad, ", ".join(names)


@emitter("clip_norm_coef")
def _clip_norm_coef_emit(n, ctx):
    # NOTE: a serial float64 sum in parameter order: the same factor whatever the thread count
    *grads, max_norm = n.inputs
    total, e = ctx.fresh("sumsq"), ctx.fresh("e")
    lines = [f"{total} = 0.0"]
    for g in grads:
        loops, pad, index = _nest(ctx.shape(g), "", ctx.fresh("c") + "_")
        lines += loops + [f"{pad}{e} = np.float64({ctx.name(g)}[{index}])",
                          f"{pad}{total} += {e} * {e}"]
    lines.append(f"{ctx.name(n.outputs[0])} = np.float32(min(1.0, {ctx.name(max_norm)} / "
                 f"(np.sqrt({total}) + {NORM_EPS!r})))")
    return lines


@emitter("max_norm")
def _max_norm_emit(n, ctx):
    w, c = (ctx.name(v) for v in n.inputs)
    shape = ctx.shape(n.inputs[0])
    axis = n.attrs["out_axis"]
    units, others = shape[axis], shape[:axis] + shape[axis + 1:]
    o, s, e, f = (ctx.fresh(k) for k in ("unit", "sumsq", "e", "factor"))
    loops, pad, index = _nest(others, "    ", ctx.fresh("m") + "_")
    inner = index.split(", ") if index else []
    at = ", ".join(inner[:axis] + [o] + inner[axis:])
    # one unit per iteration, each writing only its own weights: safe in parallel
    lines = [f"for {o} in {ctx.loop(*shape)}({units}):", f"    {s} = 0.0"]
    lines += loops + [f"{pad}{e} = np.float64({w}[{at}])", f"{pad}{s} += {e} * {e}"]
    lines += [f"    {f} = np.float32(min(np.sqrt({s}), {c}) / ({MAX_NORM_EPS!r} + "
              f"np.sqrt({s})))"]
    lines += loops + [f"{pad}{w}[{at}] *= {f}"]
    return lines


@emitter("l1l2_penalty")
def _penalty_emit(n, ctx):
    # Built into every regularised step but read by nothing the kernel returns, so dead-code
    # elimination removes it; emitted for a graph that does return it (a serial float64 sum,
    # as ops/regularize.py's penalty_value).
    w, l1, l2 = (ctx.name(v) for v in n.inputs)
    a, s, e = ctx.fresh("abs"), ctx.fresh("sq"), ctx.fresh("e")
    loops, pad, index = _nest(ctx.shape(n.inputs[0]), "", ctx.fresh("p") + "_")
    return ([f"{a} = 0.0", f"{s} = 0.0"] + loops
            + [f"{pad}{e} = np.float64({w}[{index}])", f"{pad}{a} += abs({e})",
               f"{pad}{s} += {e} * {e}",]
            + [f"{ctx.name(n.outputs[0])} = np.float32({l1} * {a} + {l2} * {s})"])
