"""Who owns the cores: Numba's prange or BLAS. Decided once, deliberately.

Both pools spinning at once oversubscribes the cores (measured 35-80x slower on 2 cores), so
exactly one of them is multi-threaded while compiled code runs:

  RECIPEC_THREADS=numba  (default) kernels are compiled with parallel=True, prange loops own the
                         cores and BLAS is limited to one thread per call; each large matrix
                         product is cut into one block per thread (lower/cpu/cblas.py), so the
                         products use every core too.
  RECIPEC_THREADS=blas   kernels are compiled serial (parallel=False: prange acts as range) and
                         BLAS runs each matrix product on every core.

Measured on 2 cores, samples/s (MLP 784-128-10 SGD at batch 64 / 256; MLP 784-512-256-10 Adam
at batch 128), before products were cut into per-thread blocks (numba then ran every product
on one core):
  quiet machine    numba 167k / 202k / 35k     blas 219k / 273k / 56k
  machine shared   numba 166k / 172k / 20k     blas 110k (3.8k-217k) / 19k / 3.6k
OpenBLAS's worker threads spin-wait for each other after every call; when another process
takes a core they lose whole scheduler slices per matrix product, and a convnet's many small
products collapsed to ~50 samples/s. `blas` is faster on a dedicated quiet machine; `numba`
degrades gracefully on a shared one, so it is the default.
"""
from __future__ import annotations

import contextlib
import os

from threadpoolctl import threadpool_limits

LAYOUTS = ("numba", "blas")


def layout() -> str:
    value = os.environ.get("RECIPEC_THREADS", "numba")
    if value not in LAYOUTS:
        raise ValueError(f"RECIPEC_THREADS must be one of {', '.join(LAYOUTS)}, got {value!r}")
    return value


def numba_owns_cores() -> bool:
    return layout() == "numba"


def kernel_threads() -> int:
    """The kernels' `nthreads` argument: how many blocks to cut a matrix product into (one
    single-threaded sgemm per prange thread); 1 when BLAS threads each product itself."""
    if not numba_owns_cores():
        return 1
    import numba

    return numba.get_num_threads()


@contextlib.contextmanager
def compiled_region():
    if numba_owns_cores():
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    else:
        yield
