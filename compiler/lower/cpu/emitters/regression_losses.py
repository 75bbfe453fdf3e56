"""mae and huber over [B, k] (ops/regression_losses.py): row loops in parallel write per-row
partial sums, summed serially in a fixed order (the loss is the same for any thread count)."""
from __future__ import annotations

from . import emitter


def _mean(n, ctx, term: list[str]) -> list[str]:
    """Lines: the mean over all elements of `term` (lines setting `t` from `e` = p - t)."""
    p, t = (ctx.name(v) for v in n.inputs[:2])
    b, k = ctx.shape(n.inputs[0])
    rows = ctx.scratch((b,), "float64")
    total = ctx.fresh("total")
    return ([f"for i in {ctx.loop(b, k)}({b}):",
             "    s = 0.0",
             f"    for j in range({k}):",
             f"        e = np.float64({p}[i, j]) - {t}[i, j]"]
            + [f"        {line}" for line in term]
            + ["        s += a",
               f"    {rows}[i] = s",
               f"{total} = 0.0",
               f"for i in range({b}):",
               f"    {total} += {rows}[i]",
               f"{ctx.name(n.outputs[0])} = np.float32({total} / ({b} * {k}))"])


def _grad(n, ctx, term: list[str]) -> list[str]:
    p, t = (ctx.name(v) for v in n.inputs[:2])
    d = ctx.name(n.inputs[-1])
    b, k = ctx.shape(n.inputs[0])
    out, scale = ctx.name(n.outputs[0]), ctx.fresh("scale")
    return ([f"{scale} = np.float64({d}) / ({b} * {k})",
             f"for i in {ctx.loop(b, k)}({b}):",
             f"    for j in range({k}):",
             f"        e = np.float64({p}[i, j]) - {t}[i, j]"]
            + [f"        {line}" for line in term]
            + [f"        {out}[i, j] = np.float32(a * {scale})"])


@emitter("mae")
def _mae(n, ctx):
    return _mean(n, ctx, ["a = abs(e)"])


@emitter("mae_grad")
def _mae_grad(n, ctx):
    return _grad(n, ctx, ["a = 1.0 if e > 0.0 else (-1.0 if e < 0.0 else 0.0)"])


@emitter("huber")
def _huber(n, ctx):
    delta = ctx.name(n.inputs[2])
    return _mean(n, ctx, ["u = abs(e)",
                          f"a = 0.5 * u * u if u < {delta} else {delta} * (u - 0.5 * {delta})"])


@emitter("huber_grad")
def _huber_grad(n, ctx):
    delta = ctx.name(n.inputs[2])
    return _grad(n, ctx, [f"a = min(max(e, -{delta}), {delta})"])
