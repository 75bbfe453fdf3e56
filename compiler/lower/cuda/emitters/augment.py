"""Data augmentation (ops/augment.py): each output element recomputes its sample's draws from
the counter RNG (a few integer mixes), so there is nothing to share between threads and the
draws are the CPU's and the reference's, bit for bit."""
from __future__ import annotations

from ....ops.augment import DRAWS
from . import emitter, grid_loop


def _image(ctx, x) -> tuple[str, str, str, str]:
    b, c, h, w = ctx.shape(x)
    return b, c, h, w


def _pixel(h: str, w: str, c: str) -> list[str]:
    """(bs, hh, ww) of flat element e of [B, C, H, W]."""
    return [f"ww = e % {w}", f"hh = (e // {w}) % {h}", f"bs = e // ({h} * {w} * {c})"]


def _key(ctx, n) -> str:
    step, seed = n.inputs[1], n.inputs[2]
    return f"_dropout_key({ctx.value(seed)}, {ctx.value(step)}, {n.attrs['salt']})"


@emitter("augment_shift")
def _shift(n, ctx):
    x, pixels = n.inputs[0], n.inputs[3]
    b, c, h, w = _image(ctx, x)
    src = f"(e - hh * {w} - ww) + sh * {w} + sw"
    return [f"sk = {_key(ctx, n)}", f"px = np.int64({ctx.value(pixels)})"] + grid_loop(
        "e", f"{b} * {c} * {h} * {w}", [
            *_pixel(h, w, c),
            f"dy = _randint(_rng_bits(sk, bs * {DRAWS}), 2 * px + 1) - px",
            f"dx = _randint(_rng_bits(sk, bs * {DRAWS} + 1), 2 * px + 1) - px",
            "sh = hh - dy",
            "sw = ww - dx",
            f"if sh >= 0 and sh < {h} and sw >= 0 and sw < {w}:",
            f"    {ctx.at(n.outputs[0], 'e')} = {ctx.at(x, src)}",
            "else:",
            f"    {ctx.at(n.outputs[0], 'e')} = np.float32(0.0)"])


@emitter("augment_flip")
def _flip(n, ctx):
    x = n.inputs[0]
    b, c, h, w = _image(ctx, x)
    horizontal, vertical = bool(n.attrs["horizontal"]), bool(n.attrs["vertical"])
    return [f"sk = {_key(ctx, n)}"] + grid_loop("e", f"{b} * {c} * {h} * {w}", [
        *_pixel(h, w, c),
        f"fh = {horizontal} and _randint(_rng_bits(sk, bs * {DRAWS}), 2) == 1",
        f"fv = {vertical} and _randint(_rng_bits(sk, bs * {DRAWS} + 1), 2) == 1",
        f"sh = {h} - 1 - hh if fv else hh",
        f"sw = {w} - 1 - ww if fh else ww",
        f"{ctx.at(n.outputs[0], 'e')} = {ctx.at(x, f'(e - hh * {w} - ww) + sh * {w} + sw')}"])


@emitter("augment_rotate")
def _rotate(n, ctx):
    x, degrees = n.inputs[0], n.inputs[3]
    b, c, h, w = _image(ctx, x)
    plane = f"(e - hh * {w} - ww)"
    corners = []
    for dy, dx, weight in ((0, 0, "(1.0 - fy) * (1.0 - fx)"), (0, 1, "(1.0 - fy) * fx"),
                           (1, 0, "fy * (1.0 - fx)"), (1, 1, "fy * fx")):
        corners += [f"yy = y0 + {dy}", f"xx = x0 + {dx}",
                    f"if yy >= 0 and yy < {h} and xx >= 0 and xx < {w}:",
                    f"    acc += {weight} * np.float64({ctx.at(x, f'{plane} + yy * {w} + xx')})"]
    return [f"sk = {_key(ctx, n)}",
            f"rad = np.float64({ctx.value(degrees)}) * math.pi / 180.0"] + grid_loop(
        "e", f"{b} * {c} * {h} * {w}", [
            *_pixel(h, w, c),
            f"ang = (2.0 * _uniform(_rng_bits(sk, bs * {DRAWS})) - 1.0) * rad",
            "co = math.cos(ang)",
            "si = math.sin(ang)",
            f"cy = ({h} - 1) / 2.0",
            f"cx = ({w} - 1) / 2.0",
            "py = hh - cy",
            "qx = ww - cx",
            "sy = co * py + si * qx + cy",
            "sx = -si * py + co * qx + cx",
            "fy0 = math.floor(sy)",
            "fx0 = math.floor(sx)",
            "fy = sy - fy0",
            "fx = sx - fx0",
            "y0 = np.int64(fy0)",
            "x0 = np.int64(fx0)",
            "acc = 0.0",
            *corners,
            f"{ctx.at(n.outputs[0], 'e')} = np.float32(acc)"])


@emitter("augment_noise")
def _noise(n, ctx):
    x, std = n.inputs[0], n.inputs[3]
    dims = ctx.shape(x)
    features = " * ".join(dims[1:]) or "1"
    return [f"sk = {_key(ctx, n)}", f"pairs = ({features} + 1) // 2"] + grid_loop(
        "e", " * ".join(dims), [
            f"bs = e // ({features})",
            f"ff = e - bs * ({features})",
            "zc, zs = _normal_pair(_rng_bits(sk, bs * pairs + ff // 2))",
            "z = zc if ff % 2 == 0 else zs",
            f"{ctx.at(n.outputs[0], 'e')} = {ctx.at(x, 'e')} + "
            f"np.float32(np.float64({ctx.value(std)}) * z)"])
