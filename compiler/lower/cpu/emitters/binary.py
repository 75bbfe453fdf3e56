"""Binary cross-entropy from one logit and the binary accuracy counter (ops/binary.py)."""
from __future__ import annotations

from . import emitter


@emitter("bce_logits")
def _bce(n, ctx):
    z, labels, pw = (ctx.name(v) for v in n.inputs)
    b = ctx.shape(n.inputs[0])[0]
    rows = ctx.scratch((b,), "float64")
    total = ctx.fresh("total")
    # NOTE: softplus(x) = max(x, 0) + log1p(exp(-|x|)): exp never sees a large positive value
    return [f"for i in {ctx.loop(b)}({b}):",
            f"    zi = np.float64({z}[i, 0])",
            "    tail = np.log1p(np.exp(-abs(zi)))",
            f"    if {labels}[i] == 1:",
            f"        {rows}[i] = {pw} * (max(-zi, 0.0) + tail)",
            "    else:",
            f"        {rows}[i] = max(zi, 0.0) + tail",
            f"{total} = 0.0",
            f"for i in range({b}):",
            f"    {total} += {rows}[i]",
            f"{ctx.name(n.outputs[0])} = np.float32({total} / {b})"]


@emitter("bce_logits_grad")
def _bce_grad(n, ctx):
    z, labels, pw, d = (ctx.name(v) for v in n.inputs)
    b = ctx.shape(n.inputs[0])[0]
    out, scale = ctx.name(n.outputs[0]), ctx.fresh("scale")
    return [f"{scale} = np.float64({d}) / {b}",
            f"for i in {ctx.loop(b)}({b}):",
            f"    s = 1.0 / (1.0 + np.exp(-np.float64({z}[i, 0])))",
            f"    g = {pw} * (s - 1.0) if {labels}[i] == 1 else s",
            f"    {out}[i, 0] = np.float32(g * {scale})"]


@emitter("count_correct_binary")
def _correct(n, ctx):
    z, labels = (ctx.name(v) for v in n.inputs)
    b = ctx.shape(n.inputs[0])[0]
    hits = ctx.scratch((b,), "int64")
    return [f"for i in {ctx.loop(b)}({b}):",
            f"    {hits}[i] = 1 if ({z}[i, 0] > 0) == ({labels}[i] == 1) else 0",
            f"{ctx.name(n.outputs[0])} = {hits}[:{b}].sum()"]
