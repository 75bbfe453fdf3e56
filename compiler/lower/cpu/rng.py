"""The counter RNG of ops/rng.py as Numba source, pasted into the helper library so a cached
module depends on nothing but numpy and numba; same constants, same bits as the references."""
from __future__ import annotations

from ...ops.rng import BITS, GOLDEN, M1, M2


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


@njit(cache=True)
def _dropout_threshold(rate):
    return np.int64(round(rate * {float(1 << BITS)!r}))


@njit(cache=True)
def _rng_bits(key, counter):
    return _mix64(key + np.uint64(counter) * np.uint64({GOLDEN:#x}))


@njit(cache=True)
def _uniform(bits):
    return np.float64(bits >> np.uint64({64 - BITS})) * {1.0 / (1 << BITS)!r}


@njit(cache=True)
def _randint(bits, n):
    return np.int64(((bits >> np.uint64({64 - BITS})) * np.uint64(n)) >> np.uint64({BITS}))


@njit(cache=True)
def _normal_pair(bits):
    u1 = (np.float64(bits >> np.uint64({64 - BITS})) + 1.0) * {1.0 / (1 << BITS)!r}
    u2 = np.float64((bits >> np.uint64({64 - 2 * BITS})) & np.uint64({(1 << BITS) - 1:#x})) * {1.0 / (1 << BITS)!r}
    r = np.sqrt(-2.0 * np.log(u1))
    t = 2.0 * np.pi * u2
    return r * np.cos(t), r * np.sin(t)
'''

