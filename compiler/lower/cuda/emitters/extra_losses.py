"""Softmax and its gradient, mean absolute and Huber losses, the multi-class margin loss and
cross-entropy with label smoothing and class weights: the formulas of ops/losses.py,
regression_losses.py, margin.py and ce_weighted.py, row-wise in float64 as the references."""
from __future__ import annotations

from . import SYNC, emitter, grid_loop, single
from .losses import _row_max_lse, _rows_then_sum


@emitter("softmax")
def _softmax(n, ctx):
    (x,) = n.inputs
    b, c = ctx.shape(x)
    return grid_loop("e", f"{b} * {c}", [
        f"i = e // {c}", *_row_max_lse(ctx, x, c),
        f"{ctx.at(n.outputs[0], 'e')} = np.float32(math.exp(np.float64({ctx.at(x, 'e')}) "
        "- lse))"])


@emitter("softmax_grad")
def _softmax_grad(n, ctx):
    y, d = n.inputs
    b, c = ctx.shape(y)
    return grid_loop("e", f"{b} * {c}", [
        f"i = e // {c}",
        "dot = 0.0",
        f"for jj in range({c}):",
        f"    dot += np.float64({ctx.at(y, f'i * {c} + jj')}) * {ctx.at(d, f'i * {c} + jj')}",
        f"{ctx.at(n.outputs[0], 'e')} = np.float32({ctx.at(y, 'e')} * "
        f"({ctx.at(d, 'e')} - dot))"])


def _elementwise_mean(n, ctx, term: str):
    pred, target = n.inputs[:2]
    dims = ctx.shape(pred)
    total = " * ".join(dims)
    rows = ctx.scratch(dims, "float64")
    return _rows_then_sum(ctx, n.outputs[0], total, rows, [
        f"ee = np.float64({ctx.at(pred, 'i')}) - np.float64({ctx.at(target, 'i')})",
        f"{rows.at('i')} = {term}"], f"({total})")


@emitter("mae")
def _mae(n, ctx):
    return _elementwise_mean(n, ctx, "abs(ee)")


@emitter("huber")
def _huber(n, ctx):
    delta = f"np.float64({ctx.value(n.inputs[2])})"
    return _elementwise_mean(n, ctx, f"(0.5 * ee * ee if abs(ee) < {delta} else "
                                     f"{delta} * (abs(ee) - 0.5 * {delta}))")


def _elementwise_grad(n, ctx, factor: str):
    pred, target = n.inputs[:2]
    d = n.inputs[-1]
    total = " * ".join(ctx.shape(pred))
    return grid_loop("e", total, [
        f"ee = np.float64({ctx.at(pred, 'e')}) - np.float64({ctx.at(target, 'e')})",
        f"{ctx.at(n.outputs[0], 'e')} = np.float32({factor} * "
        f"(np.float64({ctx.value(d)}) / ({total})))"])


@emitter("mae_grad")
def _mae_grad(n, ctx):
    return _elementwise_grad(n, ctx, "(1.0 if ee > 0.0 else (-1.0 if ee < 0.0 else 0.0))")


@emitter("huber_grad")
def _huber_grad(n, ctx):
    delta = f"np.float64({ctx.value(n.inputs[2])})"
    return _elementwise_grad(n, ctx, f"min(max(ee, -{delta}), {delta})")


def _margin_terms(ctx, x, labels, margin, c: str) -> list[str]:
    """`xy` (the label's logit) and `mg` for row i."""
    label = ctx.at(labels, "i")
    return [f"yl = {label}",
            f"xy = np.float64({ctx.at(x, f'i * {c} + yl')})",
            f"mg = np.float64({ctx.value(margin)})"]


@emitter("multi_margin")
def _multi_margin(n, ctx):
    x, labels, margin = n.inputs
    b, c = ctx.shape(x)
    rows = ctx.scratch([b], "float64")
    return _rows_then_sum(ctx, n.outputs[0], b, rows, [
        *_margin_terms(ctx, x, labels, margin, c),
        "acc = 0.0",
        f"for jj in range({c}):",
        "    if jj != yl:",
        f"        acc += max(mg - xy + np.float64({ctx.at(x, f'i * {c} + jj')}), 0.0)",
        f"{rows.at('i')} = acc / {c}"], b)


@emitter("multi_margin_grad")
def _multi_margin_grad(n, ctx):
    x, labels, margin, d = n.inputs
    b, c = ctx.shape(x)
    return grid_loop("e", f"{b} * {c}", [
        f"i = e // {c}",
        f"j = e - i * {c}",
        *_margin_terms(ctx, x, labels, margin, c),
        "if j != yl:",
        f"    g = 1.0 if mg - xy + np.float64({ctx.at(x, 'e')}) > 0.0 else 0.0",
        "else:",
        "    g = 0.0",
        f"    for jj in range({c}):",
        f"        if jj != yl and mg - xy + np.float64({ctx.at(x, f'i * {c} + jj')}) > 0.0:",
        "            g -= 1.0",
        f"{ctx.at(n.outputs[0], 'e')} = np.float32(g * (np.float64({ctx.value(d)}) / "
        f"({b} * {c})))"])


def _class_weights(ctx, weights, c: str) -> list[str]:
    """A local array `cw` of the C class weights (run-time inputs, one local each)."""
    return [f"cw = cuda.local.array({c}, np.float64)"] + [
        f"cw[{k}] = np.float64({ctx.value(w)})" for k, w in enumerate(weights)]


@emitter("softmax_ce_ws")
def _ce_ws(n, ctx):
    x, labels, eps, *weights = n.inputs
    b, c = ctx.shape(x)
    rows, wsum = ctx.scratch([b], "float64"), ctx.scratch([b], "float64")
    label = ctx.at(labels, "i")
    return _class_weights(ctx, weights, c) + [f"sm = np.float64({ctx.value(eps)})"] + \
        grid_loop("i", b, [
            *_row_max_lse(ctx, x, c),
            f"yl = {label}",
            "smooth = 0.0",
            f"for jj in range({c}):",
            f"    smooth += cw[jj] * (lse - np.float64({ctx.at(x, f'i * {c} + jj')}))",
            f"{rows.at('i')} = (1.0 - sm) * cw[yl] * (lse - np.float64("
            f"{ctx.at(x, f'i * {c} + yl')})) + sm / {c} * smooth",
            f"{wsum.at('i')} = cw[yl]"]) + [SYNC] + single([
                "acc = 0.0",
                "den = 0.0",
                f"for r in range({b}):",
                f"    acc += {rows.at('r')}",
                f"    den += {wsum.at('r')}",
                f"{ctx.at(n.outputs[0], '0')} = np.float32(acc / den)"])


@emitter("softmax_ce_ws_grad")
def _ce_ws_grad(n, ctx):
    x, labels, eps, *rest = n.inputs
    *weights, d = rest
    b, c = ctx.shape(x)
    den = ctx.scratch(["1"], "float64")
    return _class_weights(ctx, weights, c) + [f"sm = np.float64({ctx.value(eps)})"] + single([
        "acc = 0.0",
        f"for r in range({b}):",
        f"    acc += cw[{ctx.at(labels, 'r')}]",
        f"{den.at('0')} = acc"]) + [SYNC, "wall = 0.0", f"for jj in range({c}):",
                                    "    wall += cw[jj]"] + grid_loop("e", f"{b} * {c}", [
        f"i = e // {c}",
        f"j = e - i * {c}",
        *_row_max_lse(ctx, x, c),
        f"yl = {ctx.at(labels, 'i')}",
        f"p = math.exp(np.float64({ctx.at(x, 'e')}) - lse)",
        f"g = p * ((1.0 - sm) * cw[yl] + sm / {c} * wall) - sm / {c} * cw[j]",
        "if j == yl:",
        "    g -= (1.0 - sm) * cw[yl]",
        f"{ctx.at(n.outputs[0], 'e')} = np.float32(g * (np.float64({ctx.value(d)}) / "
        f"{den.at('0')}))"])
