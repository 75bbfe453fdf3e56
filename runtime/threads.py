"""Who owns the cores: BLAS or Numba's prange. Decided once, deliberately.

Both pools spinning at once oversubscribes the cores (measured 35-80x slower on 2 cores), so
exactly one of them is multi-threaded while compiled code runs:

  RECIPEC_THREADS=blas   (default) kernels are compiled serial (parallel=False) and BLAS runs
                         the matrix products on every core.
  RECIPEC_THREADS=numba  kernels are compiled with parallel=True, prange loops own the cores
                         and BLAS is limited to one thread.

Measured on 2 cores (samples/s, MLP 784-128-10 SGD at batch 64 / 256, MLP 784-512-256-10 Adam
at batch 128): blas 219k / 273k / 56k; numba 167k / 202k / 35k. The matrix products dominate
these steps, and serial kernels also compile in half the time (5.5 s vs 11.8 s for digits_mlp).
"""
from __future__ import annotations

import contextlib
import os

from threadpoolctl import threadpool_limits

LAYOUTS = ("blas", "numba")


def layout() -> str:
    value = os.environ.get("RECIPEC_THREADS", "blas")
    if value not in LAYOUTS:
        raise ValueError(f"RECIPEC_THREADS must be one of {', '.join(LAYOUTS)}, got {value!r}")
    return value


def numba_owns_cores() -> bool:
    return layout() == "numba"


@contextlib.contextmanager
def compiled_region():
    if numba_owns_cores():
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    else:
        yield
