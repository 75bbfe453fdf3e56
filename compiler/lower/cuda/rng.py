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
'''
