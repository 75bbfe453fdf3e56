"""Convolutions as gathers: one writer per output element, float64 sums in a fixed order.

ops/conv.py's references compute in float64 and round once; these kernels do the same, so a
result does not depend on the grid and is the reference's up to the order of a float64 sum
(the CPU target's sgemm rounds to float32 on the way: the two agree to float32 tolerance).
- conv:             y[b, f, oh, ow] sums x * w over (c, ki, kj), in that order;
- conv_grad_input:  dx[b, c, ih, iw] gathers, for each tap (ki, kj), the output position whose
                    window puts that tap on (ih, iw), if there is one (no scatter, no atomics);
- conv_grad_weight: dw[f, c, ki, kj] sums x * dy over (b, oh, ow), in fixed pieces.
A 1-D problem [B, C, L] is the 2-D one with H = 1 (kernel height 1, stride 1, no padding), as
in the references; sizes are constants of the kernel, bounds tests are written only where the
geometry can leave the input. Names are prefixed `cv_` so that none shadows a kernel-level
name (`F`, `B` and `base` are the arena, the batch and the gather's row).
"""
from __future__ import annotations

from . import emitter, grid_loop, pieced_sum


def _lift(v, fill) -> tuple:
    return (fill,) + tuple(v) if len(v) == 1 else tuple(v)


class Window:
    """The geometry of one conv / pool node, 1-D lifted to 2-D: the input side [B, C, H, W],
    the output side [B, F, HO, WO] (`ctx.shape` lists: the batch is "B")."""

    def __init__(self, xs, ys, kernel, stride, padding):
        self.B = xs[0]
        self.C, self.F = int(xs[1]), int(ys[1])
        self.H, self.W = (1, int(xs[2])) if len(xs) == 3 else (int(xs[2]), int(xs[3]))
        self.HO, self.WO = (1, int(ys[2])) if len(ys) == 3 else (int(ys[2]), int(ys[3]))
        self.KH, self.KW = (int(k) for k in _lift(kernel, 1))
        self.SH, self.SW = (int(s) for s in _lift(stride, 1))
        (self.PH, self.PHH), (self.PW, self.PWH) = ((int(a), int(b))
                                                    for a, b in _lift(padding, (0, 0)))

    def in_bounds(self, ih: str, iw: str) -> str | None:
        """The test that input position (ih, iw) = (oh * SH + ki - PH, ...) is inside the
        input, on the sides the padding or a window overhang can leave (None: always)."""
        tests = []
        for i, pad, last, n in ((ih, self.PH, (self.HO - 1) * self.SH + self.KH - 1, self.H),
                                (iw, self.PW, (self.WO - 1) * self.SW + self.KW - 1, self.W)):
            if pad > 0:
                tests.append(f"{i} >= 0")
            if last - pad >= n:
                tests.append(f"{i} < {n}")
        return " and ".join(tests) or None


def unflat(flat: str, names, dims) -> list[str]:
    """Lines splitting row-major index `flat` over `dims` into `names` (a size-1 axis is 0)."""
    lines, rest = [], flat
    for k in range(len(dims) - 1, 0, -1):
        if str(dims[k]) == "1":
            lines.append(f"{names[k]} = 0")
            continue
        lines += [f"{names[k]} = {rest} % {dims[k]}", f"cv_r = {rest} // {dims[k]}"]
        rest = "cv_r"
    return lines + [f"{names[0]} = {rest}"]


def indent(lines: list[str], depth: int = 1) -> list[str]:
    return ["    " * depth + ln for ln in lines]


def taps(var: str, out: str, pos: str, pad: int, stride: int, k: int, n_out: int,
         body: list[str]) -> list[str]:
    """`body` for each tap `var` of a window that lands on input position `pos` from an
    output position `out` = (pos + pad - var) / stride that exists: a gather over the windows
    covering `pos`, in increasing tap order."""
    t = f"{var}_t"
    if stride == 1:
        return [f"{t} = {pos} + {pad}",
                f"for {var} in range(max(0, {t} - {n_out - 1}), min({k}, {t} + 1)):",
                f"    {out} = {t} - {var}", *indent(body)]
    return [f"{t} = {pos} + {pad}",
            f"for {var} in range({t} % {stride}, min({k}, {t} + 1), {stride}):",
            f"    {out} = ({t} - {var}) // {stride}",
            f"    if {out} < {n_out}:", *indent(body, 2)]


def _conv_geometry(n, ctx, x, y, kernel) -> Window:
    return Window(ctx.shape(x), ctx.shape(y), kernel, n.attrs["stride"], n.attrs["padding"])


def _guarded(test: str | None, body: list[str]) -> list[str]:
    return body if test is None else [f"if {test}:", *indent(body)]


@emitter("conv")
def _conv(n, ctx):
    x, w = n.inputs
    y = n.outputs[0]
    g = _conv_geometry(n, ctx, x, y, w.shape[2:])
    x_at = ctx.at(x, f"((cv_b * {g.C} + cv_c) * {g.H} + cv_ih) * {g.W} + cv_iw")
    w_at = ctx.at(w, f"((cv_f * {g.C} + cv_c) * {g.KH} + cv_ki) * {g.KW} + cv_kj")
    return grid_loop("cv_e", f"{g.B} * {g.F * g.HO * g.WO}", [
        *unflat("cv_e", ["cv_b", "cv_f", "cv_oh", "cv_ow"], [g.B, g.F, g.HO, g.WO]),
        "cv_acc = 0.0",
        f"for cv_c in range({g.C}):",
        f"    for cv_ki in range({g.KH}):",
        f"        cv_ih = cv_oh * {g.SH} + cv_ki - {g.PH}",
        f"        for cv_kj in range({g.KW}):",
        f"            cv_iw = cv_ow * {g.SW} + cv_kj - {g.PW}",
        *indent(_guarded(g.in_bounds("cv_ih", "cv_iw"), [
            f"cv_acc += np.float64({x_at}) * np.float64({w_at})"]), 3),
        f"{ctx.at(y, 'cv_e')} = np.float32(cv_acc)"])


@emitter("conv_grad_input")
def _conv_grad_input(n, ctx):
    dy, w = n.inputs
    dx = n.outputs[0]
    g = _conv_geometry(n, ctx, dx, dy, w.shape[2:])
    dy_at = ctx.at(dy, f"((cv_b * {g.F} + cv_f) * {g.HO} + cv_oh) * {g.WO} + cv_ow")
    w_at = ctx.at(w, f"((cv_f * {g.C} + cv_c) * {g.KH} + cv_ki) * {g.KW} + cv_kj")
    inner = [f"for cv_f in range({g.F}):",
             f"    cv_acc += np.float64({dy_at}) * np.float64({w_at})"]
    gather = taps("cv_ki", "cv_oh", "cv_ih", g.PH, g.SH, g.KH, g.HO,
                  taps("cv_kj", "cv_ow", "cv_iw", g.PW, g.SW, g.KW, g.WO, inner))
    return grid_loop("cv_e", f"{g.B} * {g.C * g.H * g.W}", [
        *unflat("cv_e", ["cv_b", "cv_c", "cv_ih", "cv_iw"], [g.B, g.C, g.H, g.W]),
        "cv_acc = 0.0",
        *gather,
        f"{ctx.at(dx, 'cv_e')} = np.float32(cv_acc)"])


@emitter("conv_grad_weight")
def _conv_grad_weight(n, ctx):
    """dw[f, c, ki, kj] sums x * dy over (b, oh, ow): batch x positions terms for each of a
    few hundred outputs, so the sum is cut into fixed pieces (emitters.pieced_sum)."""
    x, dy = n.inputs
    dw = n.outputs[0]
    g = _conv_geometry(n, ctx, x, dy, n.attrs["kernel"])
    x_at = ctx.at(x, f"((cv_b * {g.C} + cv_c) * {g.H} + cv_ih) * {g.W} + cv_iw")
    dy_at = ctx.at(dy, f"((cv_b * {g.F} + cv_f) * {g.HO} + cv_oh) * {g.WO} + cv_ow")
    positions = g.HO * g.WO

    def term(c, t):
        inside = g.in_bounds("cv_ih", "cv_iw")
        return [*unflat(c, ["cv_f", "cv_c", "cv_ki", "cv_kj"], [g.F, g.C, g.KH, g.KW]),
                *unflat(t, ["cv_b", "cv_oh", "cv_ow"], [g.B, g.HO, g.WO]),
                f"cv_ih = cv_oh * {g.SH} + cv_ki - {g.PH}",
                f"cv_iw = cv_ow * {g.SW} + cv_kj - {g.PW}",
                *([] if inside is None else [f"if not ({inside}):", "    continue"])], \
            f"np.float64({x_at}) * np.float64({dy_at})"

    return pieced_sum(ctx, str(g.F * g.C * g.KH * g.KW), f"{g.B} * {positions}", positions,
                      term, lambda c, acc: f"{ctx.at(dw, c)} = np.float32({acc})", "cw")
