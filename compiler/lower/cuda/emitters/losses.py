"""Softmax cross-entropy, mean squared error, binary cross-entropy and the correct counts.

Row-wise work writes one partial per row; thread 0 then sums the rows in order in float64,
as the references do, so the loss is the same whatever the grid.
"""
from __future__ import annotations

from . import SYNC, emitter, grid_loop, single


def _row_max_lse(ctx, logits, c: str) -> list[str]:
    """Lines leaving `mx` (the row's max) and `lse` (its log-sum-exp) for row `i`, float64."""
    return [f"mx = np.float64({ctx.at(logits, f'i * {c}')})",
            f"for jj in range(1, {c}):",
            f"    mx = max(mx, np.float64({ctx.at(logits, f'i * {c} + jj')}))",
            "se = 0.0",
            f"for jj in range({c}):",
            f"    se += math.exp(np.float64({ctx.at(logits, f'i * {c} + jj')}) - mx)",
            "lse = math.log(se) + mx"]


def _rows_then_sum(ctx, out, rows: str, scratch, per_row: list[str], divide: str) -> list[str]:
    """Each row's value into `scratch`, then thread 0: out = sum(rows) / divide."""
    return (grid_loop("i", rows, per_row) + [SYNC] + single([
        "acc = 0.0",
        f"for r in range({rows}):",
        f"    acc += {scratch.at('r')}",
        f"{ctx.at(out, '0')} = np.float32(acc / {divide})"]))


@emitter("softmax_ce")
def _softmax_ce(n, ctx):
    logits, labels = n.inputs
    b, c = ctx.shape(logits)
    rows = ctx.scratch([b], "float64")
    label = ctx.at(labels, "i")
    picked = ctx.at(logits, f"i * {c} + {label}")
    return _rows_then_sum(ctx, n.outputs[0], b, rows, _row_max_lse(ctx, logits, c) + [
        f"{rows.at('i')} = lse - np.float64({picked})"], b)


@emitter("softmax_ce_grad")
def _softmax_ce_grad(n, ctx):
    logits, labels, d = n.inputs
    b, c = ctx.shape(logits)
    out = n.outputs[0]
    return grid_loop("e", f"{b} * {c}", [
        f"i = e // {c}",
        f"j = e - i * {c}",
        *_row_max_lse(ctx, logits, c),
        f"p = math.exp(np.float64({ctx.at(logits, 'e')}) - lse)",
        f"if j == {ctx.at(labels, 'i')}:",
        "    p -= 1.0",
        f"{ctx.at(out, 'e')} = np.float32(p * (np.float64({ctx.value(d)}) / {b}))"])


@emitter("count_correct")
def _count_correct(n, ctx):
    logits, labels = n.inputs
    b, c = ctx.shape(logits)
    rows = ctx.scratch([b], "int64")
    return grid_loop("i", b, [
        "best = 0",
        f"for jj in range(1, {c}):",          # the first maximum, as numpy's argmax
        f"    if {ctx.at(logits, f'i * {c} + jj')} > {ctx.at(logits, f'i * {c} + best')}:",
        "        best = jj",
        f"{rows.at('i')} = 1 if best == {ctx.at(labels, 'i')} else 0"]) + [SYNC] + single([
            "total = 0",
            f"for r in range({b}):",
            f"    total += {rows.at('r')}",
            f"{ctx.at(n.outputs[0], '0')} = total"])


@emitter("mse")
def _mse(n, ctx):
    pred, target = n.inputs
    total = " * ".join(ctx.shape(pred))
    rows = ctx.scratch(ctx.shape(pred), "float64")
    return _rows_then_sum(ctx, n.outputs[0], total, rows, [
        f"dd = np.float64({ctx.at(pred, 'i')}) - np.float64({ctx.at(target, 'i')})",
        f"{rows.at('i')} = dd * dd"], f"({total})")


@emitter("mse_grad")
def _mse_grad(n, ctx):
    pred, target, d = n.inputs
    total = " * ".join(ctx.shape(pred))
    return grid_loop("e", total, [
        f"{ctx.at(n.outputs[0], 'e')} = np.float32(({ctx.at(pred, 'e')} - "
        f"{ctx.at(target, 'e')}) * np.float32(2.0 * np.float64({ctx.value(d)}) / ({total})))"])
