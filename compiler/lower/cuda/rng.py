"""The counter RNG of ops/rng.py as CUDA device functions: the same constants and the same
integer arithmetic as the references and the CPU kernels, so a seed gives the same dropout
masks on both targets."""
from __future__ import annotations

from ..counter_rng import source

SOURCE = source("@cuda.jit(device=True)", "math")
