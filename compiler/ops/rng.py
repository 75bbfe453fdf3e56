"""Counter-based random numbers: the same bits in numpy (reference) and in Numba kernels.

Dropout's mask is a pure function of (seed, step, salt, element index), so nothing is stored
between forward and backward, and a run resumed at step k draws exactly what it would have.
The mixer is SplitMix64's finaliser; a 24-bit uniform is compared with round(rate * 2**24).

Augmentation (ops/augment.py) draws from the same key: `rng_bits(key, counter)` is the 64-bit
mix of one counter, `uniform24` its top 24 bits. Integer decisions (shift offsets, flips) are
made in integer arithmetic on those bits and floats are exact multiples of 2**-24, so numpy and
Numba agree bit for bit on every draw (only libm's sin/cos/log may differ by an ulp downstream).
"""
from __future__ import annotations

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
BITS = 24


def threshold(rate: float) -> int:
    """The 24-bit threshold below which an element is dropped. Python's round() is round half
    to even, as LLVM's rint in the kernels' `_dropout_threshold`: the rate is a run-time input
    there, so both sides compute this from the same float64."""
    return int(round(float(rate) * (1 << BITS)))


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(M2)
    return z ^ (z >> np.uint64(31))


def keep_mask(seed: int, step: int, salt: int, shape: tuple[int, ...], rate: float) -> np.ndarray:
    """numpy reference: True where the element survives dropout."""
    with np.errstate(over="ignore"):
        key = _mix(_mix(np.uint64(seed) * np.uint64(GOLDEN) + np.uint64(salt)) + np.uint64(step))
        flat = np.arange(int(np.prod(shape)), dtype=np.uint64)
        u = _mix(key + flat * np.uint64(GOLDEN))
    return ((u >> np.uint64(64 - BITS)) >= np.uint64(threshold(rate))).reshape(shape)


def stream_key(seed: int, step: int, salt: int) -> np.uint64:
    """The per-(seed, step, salt) key: the same as dropout's."""
    with np.errstate(over="ignore"):
        return _mix(_mix(np.uint64(seed) * np.uint64(GOLDEN) + np.uint64(salt)) + np.uint64(step))


def rng_bits(key, counter) -> np.ndarray:
    """64 random bits per counter (an int or an integer array) under `key`."""
    with np.errstate(over="ignore"):
        return _mix(np.uint64(key) + np.asarray(counter).astype(np.uint64) * np.uint64(GOLDEN))


def uniform24(bits) -> np.ndarray:
    """The top 24 bits as an integer in [0, 2**24)."""
    return np.asarray(bits, dtype=np.uint64) >> np.uint64(64 - BITS)


def uniform(bits) -> np.ndarray:
    """A float64 in [0, 1) from the top 24 bits (exact: a multiple of 2**-24)."""
    return uniform24(bits).astype(np.float64) * (1.0 / (1 << BITS))


def randint(bits, n: int) -> np.ndarray:
    """An integer in [0, n) from the top 24 bits: floor(u24 * n / 2**24), integer arithmetic."""
    return ((uniform24(bits) * np.uint64(n)) >> np.uint64(BITS)).astype(np.int64)


def normal_pair(bits) -> tuple[np.ndarray, np.ndarray]:
    """Two independent standard normals by Box-Muller from one 64-bit draw: radius from
    u1 in (0, 1] (bits 40..63), angle from u2 in [0, 1) (bits 16..39); (r cos, r sin)."""
    bits = np.asarray(bits, dtype=np.uint64)
    scale = 1.0 / (1 << BITS)
    u1 = ((bits >> np.uint64(64 - BITS)).astype(np.float64) + 1.0) * scale
    u2 = ((bits >> np.uint64(64 - 2 * BITS)) & np.uint64((1 << BITS) - 1)).astype(np.float64) * scale
    r, t = np.sqrt(-2.0 * np.log(u1)), 2.0 * np.pi * u2
    return r * np.cos(t), r * np.sin(t)


