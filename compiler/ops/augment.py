"""Data augmentation ops: random image transforms applied to the batch inside the training step.

Each op takes (x, step, seed), then its magnitude when it has one (shift's pixels, rotate's
degrees, noise's std: a float64 scalar of role "hyper", so changing it compiles nothing), and
attrs `salt` plus its structural options (flip's axes); its randomness is a pure
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


def _shift_ref(x, step, seed, pixels, *, salt):
    return shift_with(x, *shift_offsets(x, step, seed, pixels=int(pixels), salt=salt))


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


def _rotate_ref(x, step, seed, degrees, *, salt):
    return rotate_with(x, rotate_angles(x, step, seed, degrees=float(degrees), salt=salt))


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


def _noise_ref(x, step, seed, std, *, salt):
    z = noise_normals(x.shape, step, seed, salt)
    return (x + (float(std) * z).astype(x.dtype)).astype(x.dtype)


register(OpDef("augment_shift", _image_infer("augment_shift"), _shift_ref,
               doc="random translation by up to `pixels` per axis, zero fill"))
register(OpDef("augment_flip", _image_infer("augment_flip"), _flip_ref,
               doc="random horizontal / vertical mirror, p = 1/2 each"))
register(OpDef("augment_rotate", _image_infer("augment_rotate"), _rotate_ref,
               doc="random rotation in [-degrees, degrees], bilinear"))
register(OpDef("augment_noise", _any_infer, _noise_ref,
               doc="additive gaussian noise std * N(0, 1) per element"))
