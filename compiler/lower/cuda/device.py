"""Finding numba-cuda and a GPU (or the simulator), and the launch shape of a kernel.

`cuda()` is the only place the target imports Numba CUDA: without the `numba-cuda` package,
or without a GPU and driver (and NUMBA_ENABLE_CUDASIM unset), it raises TargetUnavailable
naming what is missing, and the command line prints that with a suggestion of --target cpu.
"""
from __future__ import annotations

import importlib.util
import os

from .. import TargetUnavailable

# the simulator runs one Python thread per CUDA thread, and its grid barrier works only for
# a grid of one block: tests run a block of this many threads
SIMULATED_THREADS = 8
THREADS_PER_BLOCK = 256


def simulated() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def cuda_package():
    """numba.cuda, whether or not a GPU is present (compiling to PTX needs none)."""
    if importlib.util.find_spec("numba_cuda") is None and not simulated():
        raise TargetUnavailable(
            "the CUDA target needs the numba-cuda package, which is not installed", "X001",
            "pip install 'recipec[cuda]', or run with --target cpu")
    try:
        from numba import cuda as numba_cuda
    except ImportError as err:
        raise TargetUnavailable(f"the CUDA target cannot import numba.cuda: {err}", "X001",
                                "pip install 'recipec[cuda]', or run with --target cpu") \
            from None
    return numba_cuda


def cuda():
    """numba.cuda with a GPU (or the simulator) to run on; TargetUnavailable otherwise."""
    numba_cuda = cuda_package()
    if simulated():
        return numba_cuda
    try:
        available = numba_cuda.is_available()
    except Exception as err:      # a broken driver installation raises rather than answers
        available, why = False, f"{type(err).__name__}: {err}"
    else:
        why = "no CUDA driver or no GPU was found"
    if not available:
        raise TargetUnavailable(f"the CUDA target cannot run here: {why}", "X002",
                                "run with --target cpu (or set NUMBA_ENABLE_CUDASIM=1 to "
                                "run the CUDA kernels in Numba's simulator, slowly)")
    return numba_cuda


def block_threads() -> int:
    """Threads per block, a constant of the generated kernels (the tiled products lay their
    tiles out for it)."""
    return SIMULATED_THREADS if simulated() else THREADS_PER_BLOCK


def launch_shape(numba_cuda) -> tuple[int, int]:
    """(blocks, threads per block) of a cooperative grid: one block per multiprocessor, which
    is always co-resident (a grid barrier needs every block resident at once); the simulator's
    one block."""
    if simulated():
        return 1, SIMULATED_THREADS
    device = numba_cuda.get_current_device()
    return int(device.MULTIPROCESSOR_COUNT), block_threads()


def describe(numba_cuda) -> str:
    if simulated():
        return "Numba CUDA simulator"
    device = numba_cuda.get_current_device()
    name = device.name.decode() if isinstance(device.name, bytes) else str(device.name)
    return f"{name} ({device.MULTIPROCESSOR_COUNT} SMs)"
