"""The counter RNG of ops/rng.py as CUDA device functions: the same constants and the same
integer arithmetic as the references and the CPU kernels, so a seed gives the same dropout
masks on both targets."""
from __future__ import annotations

from ...ops.rng import BITS, GOLDEN, M1, M2

SOURCE = f'''
@cuda.jit(device=True)
def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64({M1:#x})
    z = (z ^ (z >> np.uint64(27))) * np.uint64({M2:#x})
    return z ^ (z >> np.uint64(31))


@cuda.jit(device=True)
def _dropout_key(seed, step, salt):
    return _mix64(_mix64(np.uint64(seed) * np.uint64({GOLDEN:#x}) + np.uint64(salt)) + np.uint64(step))


@cuda.jit(device=True)
def _dropout_keep(key, flat, threshold):
    u = _mix64(key + np.uint64(flat) * np.uint64({GOLDEN:#x}))
    return (u >> np.uint64({64 - BITS})) >= np.uint64(threshold)


@cuda.jit(device=True)
def _dropout_threshold(rate):
    return np.int64(round(rate * {float(1 << BITS)!r}))


@cuda.jit(device=True)
def _rng_bits(key, counter):
    return _mix64(key + np.uint64(counter) * np.uint64({GOLDEN:#x}))


@cuda.jit(device=True)
def _uniform(bits):
    return np.float64(bits >> np.uint64({64 - BITS})) * {1.0 / (1 << BITS)!r}


@cuda.jit(device=True)
def _randint(bits, n):
    return np.int64(((bits >> np.uint64({64 - BITS})) * np.uint64(n)) >> np.uint64({BITS}))


@cuda.jit(device=True)
def _normal_pair(bits):
    u1 = (np.float64(bits >> np.uint64({64 - BITS})) + 1.0) * {1.0 / (1 << BITS)!r}
    u2 = np.float64((bits >> np.uint64({64 - 2 * BITS})) & np.uint64({(1 << BITS) - 1:#x})) * {1.0 / (1 << BITS)!r}
    r = math.sqrt(-2.0 * math.log(u1))
    t = 2.0 * math.pi * u2
    return r * math.cos(t), r * math.sin(t)
'''
