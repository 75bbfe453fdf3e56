"""Binary cross-entropy from one logit per row, and the binary correct count (ops/binary.py)."""
from __future__ import annotations

from . import SYNC, emitter, grid_loop, single


def _softplus(x: str) -> str:
    return f"(max({x}, 0.0) + math.log1p(math.exp(-abs({x}))))"


@emitter("bce_logits")
def _bce(n, ctx):
    z, labels, pos_weight = n.inputs
    (b, _) = ctx.shape(z)
    rows = ctx.scratch([b], "float64")
    return grid_loop("i", b, [
        f"zz = np.float64({ctx.at(z, 'i')})",
        f"yy = np.float64({ctx.at(labels, 'i')})",
        f"{rows.at('i')} = np.float64({ctx.value(pos_weight)}) * yy * {_softplus('-zz')}"
        f" + (1.0 - yy) * {_softplus('zz')}"]) + [SYNC] + single([
            "acc = 0.0",
            f"for r in range({b}):",
            f"    acc += {rows.at('r')}",
            f"{ctx.at(n.outputs[0], '0')} = np.float32(acc / {b})"])


@emitter("bce_logits_grad")
def _bce_grad(n, ctx):
    z, labels, pos_weight, d = n.inputs
    (b, _) = ctx.shape(z)
    return grid_loop("i", b, [
        f"zz = np.float64({ctx.at(z, 'i')})",
        f"yy = np.float64({ctx.at(labels, 'i')})",
        "s = 1.0 / (1.0 + math.exp(-zz))",
        f"g = np.float64({ctx.value(pos_weight)}) * yy * (s - 1.0) + (1.0 - yy) * s",
        f"{ctx.at(n.outputs[0], 'i')} = np.float32(g * (np.float64({ctx.value(d)}) / {b}))"])


@emitter("count_correct_binary")
def _count_binary(n, ctx):
    z, labels = n.inputs
    (b, _) = ctx.shape(z)
    rows = ctx.scratch([b], "int64")
    return grid_loop("i", b, [
        f"{rows.at('i')} = 1 if ({ctx.at(z, 'i')} > 0) == ({ctx.at(labels, 'i')} == 1) "
        "else 0"]) + [SYNC] + single([
            "total = 0",
            f"for r in range({b}):",
            f"    total += {rows.at('r')}",
            f"{ctx.at(n.outputs[0], '0')} = total"])
