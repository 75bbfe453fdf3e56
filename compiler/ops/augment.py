"""Data augmentation ops: random image transforms applied to the batch inside the training step.

Each op takes (x, step, seed) and attrs `salt` plus its parameters; its randomness is a pure
function of (seed, step, salt, sample index) through the counter RNG of ops/rng.py, so nothing
is stored, a resumed run draws what it would have drawn, and the numpy reference and the Numba
kernel make the same integer decisions (offsets, flips) from the same bits. Sample b's draws
use counters DRAWS * b + j (j < DRAWS); noise uses one counter per pair of elements.

  augment_shift   [B, C, H, W]  translate by (dy, dx), each uniform in [-pixels, pixels],
                                zero fill (= random crop with zero padding `pixels`)
  augment_flip    [B, C, H, W]  mirror along W (horizontal) / H (vertical), each with p = 1/2
  augment_rotate  [B, C, H, W]  rotate about the image centre by a uniform angle in
                                [-degrees, degrees] (counter-clockwise positive, as np.rot90),
                                bilinear sampling, zero outside the image
  augment_noise   [B, ...]      add std * N(0, 1) per element (Box-Muller; both normals of a
                                draw are used, for elements 2m and 2m + 1 of a sample)

The inputs are data, so the ops have no VJP: autodiff never differentiates with respect to x.
Outputs never share a buffer with their input (passes/buffers.py), so the gathers are safe.
"""
from __future__ import annotations

import math

import numpy as np

from . import OpDef, register
from .rng import normal_pair, randint, rng_bits, stream_key, uniform

DRAWS = 4          # counters reserved per sample for the per-sample draws


def _image_infer(name):
    def infer(types, attrs):
        x = types[0]
        if x.rank != 4:
            raise ValueError(f"{name} wants a [B, C, H, W] tensor, got {x}")
        return [x]
    return infer


def _any_infer(types, attrs):
    if types[0].rank < 1:
        raise ValueError(f"augment_noise wants a batch tensor, got {types[0]}")
    return [types[0]]


def _sample_bits(x, step, seed, salt, j):
    """The 64-bit draw j of every sample in the batch."""
    key = stream_key(int(seed), int(step), salt)
    return rng_bits(key, np.arange(x.shape[0], dtype=np.int64) * DRAWS + j)


class _Src:
    """Local variable names for one emitted op (fresh, so ops never clash)."""

    def __init__(self, ctx, node):
        tag = ctx.fresh("aug")
        self.key, self.b = f"{tag}_key", f"{tag}_b"
        self.x, self.out = ctx.name(node.inputs[0]), ctx.name(node.outputs[0])
        self.step, self.seed = ctx.name(node.inputs[1]), ctx.name(node.inputs[2])
        self.tag = tag
        batch, *rest = ctx.shape(node.inputs[0])
        self.dims = [batch] + [int(d) for d in rest]      # "B", then ints

    def head(self, salt):
        return [f"{self.key} = _dropout_key({self.seed}, {self.step}, {salt})",
                f"for {self.b} in prange({self.dims[0]}):"]

    def bits(self, j):
        return f"_rng_bits({self.key}, {self.b} * {DRAWS} + {j})"


# -- shift ----------------------------------------------------------------------------------
def shift_with(x, dy, dx):
    """out[b, :, h, w] = x[b, :, h - dy[b], w - dx[b]], zero where that is outside."""
    out = np.zeros_like(x)
    H, W = x.shape[2:]
    for b in range(x.shape[0]):
        y, z = int(dy[b]), int(dx[b])
        if abs(y) >= H or abs(z) >= W:
            continue
        out[b, :, max(y, 0):H + min(y, 0), max(z, 0):W + min(z, 0)] = \
            x[b, :, max(-y, 0):H - max(y, 0), max(-z, 0):W - max(z, 0)]
    return out


def shift_offsets(x, step, seed, *, pixels, salt):
    n = 2 * pixels + 1
    return (randint(_sample_bits(x, step, seed, salt, 0), n) - pixels,
            randint(_sample_bits(x, step, seed, salt, 1), n) - pixels)


def _shift_ref(x, step, seed, *, pixels, salt):
    return shift_with(x, *shift_offsets(x, step, seed, pixels=pixels, salt=salt))


def _shift_emit(node, ctx):
    s = _Src(ctx, node)
    p = node.attrs["pixels"]
    _, C, H, W = s.dims
    t = s.tag
    return s.head(node.attrs["salt"]) + [
        f"    {t}_dy = _randint({s.bits(0)}, {2 * p + 1}) - {p}",
        f"    {t}_dx = _randint({s.bits(1)}, {2 * p + 1}) - {p}",
        f"    for {t}_c in range({C}):",
        f"        for {t}_h in range({H}):",
        f"            {t}_sh = {t}_h - {t}_dy",
        f"            for {t}_w in range({W}):",
        f"                {t}_sw = {t}_w - {t}_dx",
        f"                if {t}_sh >= 0 and {t}_sh < {H} and {t}_sw >= 0 and {t}_sw < {W}:",
        f"                    {s.out}[{s.b}, {t}_c, {t}_h, {t}_w] = "
        f"{s.x}[{s.b}, {t}_c, {t}_sh, {t}_sw]",
        "                else:",
        f"                    {s.out}[{s.b}, {t}_c, {t}_h, {t}_w] = np.float32(0.0)",
    ]


# -- flip -----------------------------------------------------------------------------------
def flip_draws(x, step, seed, *, horizontal, vertical, salt):
    """(flip along W, flip along H) per sample, as bool arrays."""
    fh = randint(_sample_bits(x, step, seed, salt, 0), 2) == 1
    fv = randint(_sample_bits(x, step, seed, salt, 1), 2) == 1
    return fh & bool(horizontal), fv & bool(vertical)


def _flip_ref(x, step, seed, *, horizontal, vertical, salt):
    fh, fv = flip_draws(x, step, seed, horizontal=horizontal, vertical=vertical, salt=salt)
    out = x.copy()
    out[fh] = out[fh][..., ::-1]
    out[fv] = out[fv][..., ::-1, :]
    return out


def _flip_emit(node, ctx):
    s = _Src(ctx, node)
    _, C, H, W = s.dims
    t = s.tag
    fh = f"_randint({s.bits(0)}, 2) == 1" if node.attrs["horizontal"] else "False"
    fv = f"_randint({s.bits(1)}, 2) == 1" if node.attrs["vertical"] else "False"
    return s.head(node.attrs["salt"]) + [
        f"    {t}_fh = {fh}",
        f"    {t}_fv = {fv}",
        f"    for {t}_c in range({C}):",
        f"        for {t}_h in range({H}):",
        f"            {t}_sh = {H - 1} - {t}_h if {t}_fv else {t}_h",
        f"            for {t}_w in range({W}):",
        f"                {t}_sw = {W - 1} - {t}_w if {t}_fh else {t}_w",
        f"                {s.out}[{s.b}, {t}_c, {t}_h, {t}_w] = "
        f"{s.x}[{s.b}, {t}_c, {t}_sh, {t}_sw]",
    ]


# -- rotate ---------------------------------------------------------------------------------
def rotate_with(x, radians):
    """Rotate each sample b counter-clockwise by radians[b] about the image centre: output
    pixel (h, w) samples the input bilinearly at the inverse-rotated point; zero outside.
    All coordinate and weight arithmetic is float64, in the order the kernel uses."""
    B, C, H, W = x.shape
    cy, cx = (H - 1) / 2.0, (W - 1) / 2.0
    hh, ww = np.meshgrid(np.arange(H, dtype=np.float64) - cy,
                         np.arange(W, dtype=np.float64) - cx, indexing="ij")
    out = np.empty_like(x)
    for b in range(B):
        c, s = math.cos(float(radians[b])), math.sin(float(radians[b]))
        sy = c * hh + s * ww + cy
        sx = -s * hh + c * ww + cx
        y0, x0 = np.floor(sy), np.floor(sx)
        fy, fx = sy - y0, sx - x0
        y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
        acc = np.zeros((C, H, W), np.float64)
        for dy, dx, wgt in ((0, 0, (1.0 - fy) * (1.0 - fx)), (0, 1, (1.0 - fy) * fx),
                            (1, 0, fy * (1.0 - fx)), (1, 1, fy * fx)):
            yy, xx = y0 + dy, x0 + dx
            ok = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
            vals = x[b][:, np.clip(yy, 0, H - 1), np.clip(xx, 0, W - 1)].astype(np.float64)
            acc += np.where(ok, wgt * vals, 0.0)
        out[b] = acc.astype(x.dtype)
    return out


def rotate_angles(x, step, seed, *, degrees, salt):
    u = uniform(_sample_bits(x, step, seed, salt, 0))
    return (2.0 * u - 1.0) * (degrees * math.pi / 180.0)


def _rotate_ref(x, step, seed, *, degrees, salt):
    return rotate_with(x, rotate_angles(x, step, seed, degrees=degrees, salt=salt))


def _rotate_emit(node, ctx):
    s = _Src(ctx, node)
    _, C, H, W = s.dims
    t = s.tag
    cy, cx = (H - 1) / 2.0, (W - 1) / 2.0
    rad = node.attrs["degrees"] * math.pi / 180.0
    lines = s.head(node.attrs["salt"]) + [
        f"    {t}_a = (2.0 * _uniform({s.bits(0)}) - 1.0) * {rad!r}",
        f"    {t}_cos = np.cos({t}_a)",
        f"    {t}_sin = np.sin({t}_a)",
        f"    for {t}_h in range({H}):",
        f"        {t}_y = {t}_h - {cy!r}",
        f"        for {t}_w in range({W}):",
        f"            {t}_x = {t}_w - {cx!r}",
        f"            {t}_sy = {t}_cos * {t}_y + {t}_sin * {t}_x + {cy!r}",
        f"            {t}_sx = -{t}_sin * {t}_y + {t}_cos * {t}_x + {cx!r}",
        f"            {t}_fy0 = np.floor({t}_sy)",
        f"            {t}_fx0 = np.floor({t}_sx)",
        f"            {t}_fy = {t}_sy - {t}_fy0",
        f"            {t}_fx = {t}_sx - {t}_fx0",
        f"            {t}_y0 = np.int64({t}_fy0)",
        f"            {t}_x0 = np.int64({t}_fx0)",
        f"            {t}_w00 = (1.0 - {t}_fy) * (1.0 - {t}_fx)",
        f"            {t}_w01 = (1.0 - {t}_fy) * {t}_fx",
        f"            {t}_w10 = {t}_fy * (1.0 - {t}_fx)",
        f"            {t}_w11 = {t}_fy * {t}_fx",
        f"            {t}_in_y0 = {t}_y0 >= 0 and {t}_y0 < {H}",
        f"            {t}_in_y1 = {t}_y0 + 1 >= 0 and {t}_y0 + 1 < {H}",
        f"            {t}_in_x0 = {t}_x0 >= 0 and {t}_x0 < {W}",
        f"            {t}_in_x1 = {t}_x0 + 1 >= 0 and {t}_x0 + 1 < {W}",
        f"            for {t}_c in range({C}):",
        f"                {t}_v = 0.0",
    ]
    for dy, dx, wgt in ((0, 0, "w00"), (0, 1, "w01"), (1, 0, "w10"), (1, 1, "w11")):
        lines += [
            f"                if {t}_in_y{dy} and {t}_in_x{dx}:",
            f"                    {t}_v += {t}_{wgt} * np.float64({s.x}[{s.b}, {t}_c, "
            f"{t}_y0 + {dy}, {t}_x0 + {dx}])",
        ]
    lines.append(f"                {s.out}[{s.b}, {t}_c, {t}_h, {t}_w] = np.float32({t}_v)")
    return lines


# -- noise ----------------------------------------------------------------------------------
def noise_normals(shape, step, seed, salt):
    """std-1 normals for a batch of `shape`: per sample, elements 2m and 2m + 1 are the pair
    (r cos, r sin) of draw m (counter b * ceil(F / 2) + m, F the elements per sample)."""
    B, F = shape[0], math.prod(shape[1:])
    pairs = (F + 1) // 2
    key = stream_key(int(seed), int(step), salt)
    c, s = normal_pair(rng_bits(key, np.arange(B * pairs, dtype=np.int64)))
    z = np.stack([c.reshape(B, pairs), s.reshape(B, pairs)], axis=2).reshape(B, 2 * pairs)
    return z[:, :F].reshape(shape)


def _noise_ref(x, step, seed, *, std, salt):
    z = noise_normals(x.shape, step, seed, salt)
    return (x + (std * z).astype(x.dtype)).astype(x.dtype)


def _noise_emit(node, ctx):
    s = _Src(ctx, node)
    t = s.tag
    feature = math.prod(s.dims[1:])
    pairs = (feature + 1) // 2
    std = float(node.attrs["std"])
    return [f"{t}_xf = view({s.x}, ({s.dims[0]}, {feature}))",
            f"{t}_of = view({s.out}, ({s.dims[0]}, {feature}))"] + s.head(node.attrs["salt"]) + [
        f"    for {t}_m in range({pairs}):",
        f"        {t}_z0, {t}_z1 = _normal_pair(_rng_bits({s.key}, {s.b} * {pairs} + {t}_m))",
        f"        {t}_k = 2 * {t}_m",
        f"        {t}_of[{s.b}, {t}_k] = {t}_xf[{s.b}, {t}_k] + np.float32({std!r} * {t}_z0)",
        f"        if {t}_k + 1 < {feature}:",
        f"            {t}_of[{s.b}, {t}_k + 1] = {t}_xf[{s.b}, {t}_k + 1] + "
        f"np.float32({std!r} * {t}_z1)",
    ]


register(OpDef("augment_shift", _image_infer("augment_shift"), _shift_ref, emit=_shift_emit,
               doc="random translation by up to `pixels` per axis, zero fill"))
register(OpDef("augment_flip", _image_infer("augment_flip"), _flip_ref, emit=_flip_emit,
               doc="random horizontal / vertical mirror, p = 1/2 each"))
register(OpDef("augment_rotate", _image_infer("augment_rotate"), _rotate_ref,
               emit=_rotate_emit, doc="random rotation in [-degrees, degrees], bilinear"))
register(OpDef("augment_noise", _any_infer, _noise_ref, emit=_noise_emit,
               doc="additive gaussian noise std * N(0, 1) per element"))
