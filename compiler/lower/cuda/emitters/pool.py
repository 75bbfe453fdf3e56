"""Max and average pooling (no padding) and their gradients, one writer per element.

The gradients are gathers: input-gradient element (b, c, ih, iw) visits the windows that
contain it (conv.taps). Max pooling's gradient goes to each window's FIRST maximum in
row-major order (as ops/conv.py's reference, whose argmax takes the first): the element
recomputes the window's maximum in that order and takes the window's cotangent only if it is
the winner, so no argmax is stored and nothing is scattered. Averages and gradient sums are
float64, rounded once, as the references.
"""
from __future__ import annotations

from . import emitter, grid_loop
from .conv import Window, taps, unflat


def _pool_geometry(n, ctx, x, y) -> Window:
    return Window(ctx.shape(x), ctx.shape(y), n.attrs["size"], n.attrs["stride"],
                  ((0, 0),) * (len(x.shape) - 2))


def _plane(ctx, v, g: Window, h: str, w: str, rows: int, cols: int) -> str:
    """Element (pl_b, pl_c, h, w) of v, a [B, C, rows, cols] tensor."""
    return ctx.at(v, f"((pl_b * {g.C} + pl_c) * {rows} + {h}) * {cols} + {w}")


def _window_max(ctx, x, g: Window) -> list[str]:
    """Lines leaving the maximum of window (pl_oh, pl_ow) in pl_m and, the first maximum in
    row-major order, its tap in (pl_bi, pl_bj)."""
    def at(ki, kj):
        return _plane(ctx, x, g, f"pl_oh * {g.SH} + {ki}", f"pl_ow * {g.SW} + {kj}", g.H, g.W)

    return [f"pl_m = {at('0', '0')}",
            "pl_bi = 0",
            "pl_bj = 0",
            f"for pl_i in range({g.KH}):",
            f"    for pl_j in range({g.KW}):",
            f"        pl_x = {at('pl_i', 'pl_j')}",
            "        if pl_x > pl_m:",
            "            pl_m = pl_x",
            "            pl_bi = pl_i",
            "            pl_bj = pl_j"]


@emitter("maxpool")
def _maxpool(n, ctx):
    (x,), y = n.inputs, n.outputs[0]
    g = _pool_geometry(n, ctx, x, y)
    return grid_loop("pl_e", f"{g.B} * {g.C * g.HO * g.WO}", [
        *unflat("pl_e", ["pl_b", "pl_c", "pl_oh", "pl_ow"], [g.B, g.C, g.HO, g.WO]),
        *_window_max(ctx, x, g),
        f"{ctx.at(y, 'pl_e')} = pl_m"])


@emitter("maxpool_grad")
def _maxpool_grad(n, ctx):
    x, dy = n.inputs
    dx = n.outputs[0]
    g = _pool_geometry(n, ctx, x, dy)
    routed = [*_window_max(ctx, x, g),
              "if pl_bi == pl_ki and pl_bj == pl_kj:",
              f"    pl_acc += np.float64({_plane(ctx, dy, g, 'pl_oh', 'pl_ow', g.HO, g.WO)})"]
    return grid_loop("pl_e", f"{g.B} * {g.C * g.H * g.W}", [
        *unflat("pl_e", ["pl_b", "pl_c", "pl_ih", "pl_iw"], [g.B, g.C, g.H, g.W]),
        "pl_acc = 0.0",
        *taps("pl_ki", "pl_oh", "pl_ih", 0, g.SH, g.KH, g.HO,
              taps("pl_kj", "pl_ow", "pl_iw", 0, g.SW, g.KW, g.WO, routed)),
        f"{ctx.at(dx, 'pl_e')} = np.float32(pl_acc)"])


@emitter("avgpool")
def _avgpool(n, ctx):
    (x,), y = n.inputs, n.outputs[0]
    g = _pool_geometry(n, ctx, x, y)
    tap = _plane(ctx, x, g, f"pl_oh * {g.SH} + pl_i", f"pl_ow * {g.SW} + pl_j", g.H, g.W)
    return grid_loop("pl_e", f"{g.B} * {g.C * g.HO * g.WO}", [
        *unflat("pl_e", ["pl_b", "pl_c", "pl_oh", "pl_ow"], [g.B, g.C, g.HO, g.WO]),
        "pl_acc = 0.0",
        f"for pl_i in range({g.KH}):",
        f"    for pl_j in range({g.KW}):",
        f"        pl_acc += np.float64({tap})",
        f"{ctx.at(y, 'pl_e')} = np.float32(pl_acc / {g.KH * g.KW})"])


@emitter("avgpool_grad")
def _avgpool_grad(n, ctx):
    (dy,), dx = n.inputs, n.outputs[0]
    g = _pool_geometry(n, ctx, dx, dy)
    share = [f"pl_acc += np.float64({_plane(ctx, dy, g, 'pl_oh', 'pl_ow', g.HO, g.WO)}) "
             f"/ {g.KH * g.KW}"]
    return grid_loop("pl_e", f"{g.B} * {g.C * g.H * g.W}", [
        *unflat("pl_e", ["pl_b", "pl_c", "pl_ih", "pl_iw"], [g.B, g.C, g.H, g.W]),
        "pl_acc = 0.0",
        *taps("pl_ki", "pl_oh", "pl_ih", 0, g.SH, g.KH, g.HO,
              taps("pl_kj", "pl_ow", "pl_iw", 0, g.SW, g.KW, g.WO, share)),
        f"{ctx.at(dx, 'pl_e')} = np.float32(pl_acc)"])
