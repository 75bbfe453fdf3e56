"""Counter-based random numbers: the same bits in numpy (reference) and in Numba kernels.

Dropout's mask is a pure function of (seed, step, salt, element index), so nothing is stored
between forward and backward, and a run resumed at step k draws exactly what it would have.
The mixer is SplitMix64's finaliser; a 24-bit uniform is compared with round(rate * 2**24).
"""
from __future__ import annotations

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
BITS = 24


def threshold(rate: float) -> int:
    return int(round(rate * (1 << BITS)))


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


# Numba source of the same function, pasted into every generated kernel module so the cached
# module depends on nothing but numpy and numba.
NUMBA_SOURCE = f'''
@njit(cache=True)
def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64({M1:#x})
    z = (z ^ (z >> np.uint64(27))) * np.uint64({M2:#x})
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _dropout_key(seed, step, salt):
    return _mix64(_mix64(np.uint64(seed) * np.uint64({GOLDEN:#x}) + np.uint64(salt)) + np.uint64(step))


@njit(cache=True)
def _dropout_keep(key, flat, threshold):
    u = _mix64(key + np.uint64(flat) * np.uint64({GOLDEN:#x}))
    return (u >> np.uint64({64 - BITS})) >= np.uint64(threshold)
'''
