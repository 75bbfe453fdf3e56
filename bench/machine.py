"""What the machine can do and what it ran: SGEMM rate, BLAS kernel, peak RSS, compile times."""
from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from recipec.runtime.store.environment import cpu_model


def sgemm_gflops(n: int = 1024, threads: int = 2, repeats: int = 10) -> dict:
    """np.dot of two n x n float32 matrices with BLAS at `threads` threads: best and median."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = {}
    with threadpool_limits(limits=threads, user_api="blas"):
        np.dot(a, b)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.dot(a, b)
            times.append(time.perf_counter() - t0)
    flop = 2.0 * n ** 3
    out["numpy_gflops"] = flop / np.median(times) / 1e9
    out["numpy_gflops_best"] = flop / min(times) / 1e9
    out["n"], out["threads"] = n, threads
    # what the kernels' matrix products call (lower/cblas.py): numpy's BLAS, or np.dot
    from recipec.compiler.lower.cpu import cblas

    found = cblas.find()
    out["kernels_call"] = (f"{found.symbol} in {os.path.basename(found.path)}" if found
                           else "np.dot (Numba -> scipy's BLAS)")
    return out


def blas_info() -> list[dict]:
    keep = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads",
            "threading_layer")
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


def machine_info() -> dict:
    import numba

    info = {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "processor": cpu_model(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numba_threads": numba.get_num_threads(),
        "numba_threading_layer": numba.config.THREADING_LAYER,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        # set, Python compiles every module it has no bytecode for (recipec's own, when
        # installed editable) on every import: the warm compile times include that
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "RECIPEC_THREADS": os.environ.get("RECIPEC_THREADS", "numba (default)"),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info




def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # KiB on Linux


_COMPILE_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import recipec
t1 = time.perf_counter()
recipe = recipec.loads(sys.stdin.read(), "bench.recipe")
program = recipec.compile(recipe)
t2 = time.perf_counter()
program.warm_up()
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "compile_s": t2 - t1, "warm_up_s": t3 - t2,
                  "total_s": t3 - t1}))
"""


def _forget_recipe_kernels(cache: str) -> None:
    """Delete the recipe's kernel modules and their compiled code, keeping the shared helper
    library (recipec_cpulib_*)."""
    for root, _, files in os.walk(cache):
        for name in files:
            if name.startswith("recipec_cpu_"):
                os.remove(os.path.join(root, name))


def compile_times(recipe_text: str) -> dict:
    """Compile times (recipec.compile + warm_up), each in a fresh subprocess:

    first: an empty temporary RECIPEC_CACHE_DIR (the shared helper library is compiled too);
    cold:  the library cached, this recipe's kernels not (any recipe run before with the same
           ops compiled the library);
    warm:  everything cached (a second run of the recipe).
    """
    with tempfile.TemporaryDirectory(prefix="recipec-bench-cache-") as cache:
        env = dict(os.environ, RECIPEC_CACHE_DIR=cache)
        out = {}
        for label in ("first", "cold", "warm"):
            if label == "cold":
                _forget_recipe_kernels(cache)
            proc = subprocess.run([sys.executable, "-c", _COMPILE_SCRIPT], input=recipe_text,
                                  env=env, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"compile subprocess failed:\n{proc.stderr[-2000:]}")
            out[label] = json.loads(proc.stdout.strip().splitlines()[-1])
        return out


class ForeignLoad:
    """CPU time other processes used while we measured, in cores (0 = a quiet machine).

    Timings on a 2-core machine are worthless while something else runs: this says when.
    """

    def __init__(self):
        self.start = self._snap()

    @staticmethod
    def _snap():
        try:
            with open("/proc/stat") as f:
                vals = [int(v) for v in f.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        busy = (sum(vals) - vals[3] - vals[4]) / os.sysconf("SC_CLK_TCK")
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
        return time.monotonic(), busy, own

    def cores(self) -> float | None:
        end = self._snap()
        if self.start is None or end is None or end[0] <= self.start[0]:
            return None
        foreign = (end[1] - self.start[1]) - (end[2] - self.start[2])
        return max(0.0, foreign / (end[0] - self.start[0]))


def wait_idle(max_seconds: float, threshold: float = 0.1, window: float = 2.0) -> float:
    """Wait (up to max_seconds) until other processes use < threshold cores for `window` s."""
    start = time.monotonic()
    while time.monotonic() - start < max_seconds:
        probe = ForeignLoad()
        time.sleep(window)
        load = probe.cores()
        if load is None or load < threshold:
            break
    return time.monotonic() - start
