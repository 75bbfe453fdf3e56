"""The counter RNG of ops/rng.py as Numba source (the same constants, the same integer
arithmetic, so the references, the CPU kernels and the CUDA kernels draw the same bits), for
a target to paste into its generated code with its own decorator: `@njit(cache=True)` on the
CPU, `@cuda.jit(device=True)` on CUDA, and its math module for Box-Muller's sqrt, log, cos and
sin (`np` on the CPU, `math` in CUDA device code)."""
from __future__ import annotations

from ..ops.rng import BITS, GOLDEN, M1, M2


def source(decorator: str, lib: str) -> str:
    return f'''
{decorator}
def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64({M1:#x})
    z = (z ^ (z >> np.uint64(27))) * np.uint64({M2:#x})
    return z ^ (z >> np.uint64(31))


{decorator}
def _dropout_key(seed, step, salt):
    return _mix64(_mix64(np.uint64(seed) * np.uint64({GOLDEN:#x}) + np.uint64(salt)) + np.uint64(step))


{decorator}
def _dropout_keep(key, flat, threshold):
    u = _mix64(key + np.uint64(flat) * np.uint64({GOLDEN:#x}))
    return (u >> np.uint64({64 - BITS})) >= np.uint64(threshold)


{decorator}
def _dropout_threshold(rate):
    return np.int64(round(rate * {float(1 << BITS)!r}))


{decorator}
def _rng_bits(key, counter):
    return _mix64(key + np.uint64(counter) * np.uint64({GOLDEN:#x}))


{decorator}
def _uniform(bits):
    return np.float64(bits >> np.uint64({64 - BITS})) * {1.0 / (1 << BITS)!r}


{decorator}
def _randint(bits, n):
    return np.int64(((bits >> np.uint64({64 - BITS})) * np.uint64(n)) >> np.uint64({BITS}))


{decorator}
def _normal_pair(bits):
    u1 = (np.float64(bits >> np.uint64({64 - BITS})) + 1.0) * {1.0 / (1 << BITS)!r}
    u2 = np.float64((bits >> np.uint64({64 - 2 * BITS})) & np.uint64({(1 << BITS) - 1:#x})) * {1.0 / (1 << BITS)!r}
    r = {lib}.sqrt(-2.0 * {lib}.log(u1))
    t = 2.0 * {lib}.pi * u2
    return r * {lib}.cos(t), r * {lib}.sin(t)
'''
