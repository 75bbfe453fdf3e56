"""Who owns the cores: Numba's prange or BLAS. Decided once, deliberately.

Both pools spinning at once oversubscribes the cores (measured 35-80x slower on 2 cores), so
while compiled code runs, BLAS (numpy's and scipy's OpenBLAS; Numba's np.dot calls scipy's)
is limited to one thread and Numba's prange loops own the cores.
"""
from __future__ import annotations

import contextlib
import os

from threadpoolctl import threadpool_limits


@contextlib.contextmanager
def compiled_region():
    layout = os.environ.get("RECIPEC_THREADS", "numba")
    if layout == "blas":
        import numba

        previous = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            yield
        finally:
            numba.set_num_threads(previous)
    else:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
