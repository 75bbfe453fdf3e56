"""What a run ran on: versions, threads, BLAS, CPU, host and process, as the store keeps it
(a slower run is often a different machine, thread count or BLAS)."""
from __future__ import annotations

import os
import platform
import socket


def environment() -> dict:
    import numba
    import numpy as np

    return {"python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "threads": numba.get_num_threads(),
            "blas": blas(), "cpu": cpu_model(), "cores": os.cpu_count(),
            "platform": platform.platform(), "hostname": socket.gethostname(),
            "pid": os.getpid(), "recipec_threads": os.environ.get("RECIPEC_THREADS")}


def blas() -> list[dict]:
    """The BLAS libraries loaded in this process (threadpoolctl's view): which one, its
    version, threading layer and threads."""
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "version", "threading_layer", "num_threads", "architecture")
    return [{k: lib.get(k) for k in keys} for lib in threadpool_info()
            if lib.get("user_api") == "blas"]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
