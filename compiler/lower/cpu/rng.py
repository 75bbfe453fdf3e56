"""The counter RNG of ops/rng.py as Numba source, pasted into the helper library so a cached
module depends on nothing but numpy and numba; same constants, same bits as the references."""
from __future__ import annotations

from ..counter_rng import source


NUMBA_SOURCE = source("@njit(cache=True)", "np")
