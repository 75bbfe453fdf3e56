"""Softmax, the losses and the accuracy counter, row-wise over [B, C] logits.

Row loops run in parallel over the batch and write per-row partial results; the final sum runs
serially in a fixed order so the loss is bitwise the same whatever the thread count.
"""
from __future__ import annotations

from . import emitter


def _row_logsumexp(lines, logits, c):
    """Lines computing m (row max) and s (sum of exp(x - m)) for row i; max-shift avoids overflow."""
    lines += [
        f"    m = {logits}[i, 0]",
        f"    for j in range(1, {c}):",
        f"        m = max(m, {logits}[i, j])",
        "    s = 0.0",
        f"    for j in range({c}):",
        f"        s += np.exp({logits}[i, j] - m)",
    ]



def _ce_emit(n, ctx):
    logits, labels = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    rows = ctx.scratch((b,), "float64")
    lines = [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):"]
    _row_logsumexp(lines, logits, c)
    total = ctx.fresh("total")
    lines += [f"    {rows}[i] = np.log(s) + m - {logits}[i, {labels}[i]]",
              f"{total} = 0.0",
              f"for i in range({b}):",
              f"    {total} += {rows}[i]",
              f"{ctx.name(n.outputs[0])} = np.float32({total} / {b})"]
    return lines



def _ce_grad_emit(n, ctx):
    logits, labels, d = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    out = ctx.name(n.outputs[0])
    scale = ctx.fresh("scale")
    lines = [f"{scale} = {d} / {b}", f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):"]
    _row_logsumexp(lines, logits, c)
    lines += [f"    for j in range({c}):",
              f"        p = np.exp({logits}[i, j] - m) / s",
              f"        if j == {labels}[i]:",
              "            p -= 1.0",
              f"        {out}[i, j] = np.float32(p * {scale})"]
    return lines



# -- softmax as a layer (probabilities) -----------------------------------------------------
def _softmax_emit(n, ctx):
    x = ctx.name(n.inputs[0])
    b, c = ctx.shape(n.inputs[0])
    out = ctx.name(n.outputs[0])
    lines = [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):"]
    _row_logsumexp(lines, x, c)
    lines += [f"    for j in range({c}):",
              f"        {out}[i, j] = np.float32(np.exp({x}[i, j] - m) / s)"]
    return lines



def _softmax_grad_emit(n, ctx):
    y, d = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    out = ctx.name(n.outputs[0])
    return [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):",
            "    dot = 0.0",
            f"    for j in range({c}):",
            f"        dot += {y}[i, j] * {d}[i, j]",
            f"    for j in range({c}):",
            f"        {out}[i, j] = np.float32({y}[i, j] * ({d}[i, j] - dot))"]



# -- mean squared error over all elements ---------------------------------------------------
def _mse_emit(n, ctx):
    p, t = (ctx.name(v) for v in n.inputs)
    b, k = ctx.shape(n.inputs[0])
    rows = ctx.scratch((b,), "float64")
    total = ctx.fresh("total")
    return [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):",
            "    s = 0.0",
            f"    for j in range({k}):",
            f"        e = {p}[i, j] - {t}[i, j]",
            "        s += e * e",
            f"    {rows}[i] = s",
            f"{total} = 0.0",
            f"for i in range({b}):",
            f"    {total} += {rows}[i]",
            f"{ctx.name(n.outputs[0])} = np.float32({total} / ({b} * {k}))"]



def _mse_grad_emit(n, ctx):
    p, t, d = (ctx.name(v) for v in n.inputs)
    b, k = ctx.shape(n.inputs[0])
    out, scale = ctx.name(n.outputs[0]), ctx.fresh("scale")
    return [f"{scale} = np.float32(2.0 * {d} / ({b} * {k}))",
            f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):",
            f"    for j in range({k}):",
            f"        {out}[i, j] = ({p}[i, j] - {t}[i, j]) * {scale}"]



# -- accuracy counter (not differentiable) --------------------------------------------------
def _correct_emit(n, ctx):
    logits, labels = (ctx.name(v) for v in n.inputs)
    b, c = ctx.shape(n.inputs[0])
    hits = ctx.scratch((b,), "int64")
    return [f"for i in {ctx.loop(*ctx.shape(n.inputs[0]))}({b}):",
            "    best = 0",
            f"    for j in range(1, {c}):",
            f"        if {logits}[i, j] > {logits}[i, best]:",
            "            best = j",
            f"    {hits}[i] = 1 if best == {labels}[i] else 0",
            f"{ctx.name(n.outputs[0])} = {hits}[:{b}].sum()"]


emitter("softmax_ce")(_ce_emit)
emitter("softmax_ce_grad")(_ce_grad_emit)
emitter("softmax")(_softmax_emit)
emitter("softmax_grad")(_softmax_grad_emit)
emitter("mse")(_mse_emit)
emitter("mse_grad")(_mse_grad_emit)
emitter("count_correct")(_correct_emit)
