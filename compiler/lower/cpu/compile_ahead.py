"""Compile the prediction kernel in a second process while this one compiles training.

Numba compiles one function at a time per process (a global compiler lock), and a cold
compile is all CPU: with two cores, the prediction kernel can be compiled by a helper process
into the shared machine-code cache (lower/cpu/machine_code.py) while this process
compiles the training kernel; this process then loads it from the cache. Measured: predict_chunk is 20-30% of a cold compile.

Only a speed-up: if the helper fails or is slow, this process compiles the kernel itself.
The helper is started only when the kernel is not cached yet and there is a second core.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np


def _cached(module_path: Path, function: str) -> bool:
    """Whether the machine-code cache already holds `function` of the generated module."""
    from . import machine_code

    return machine_code.cached(str(module_path), function)


def start(kernels, feature: int, out_shape: tuple, hypers: int, state: list[np.ndarray],
          stderr=subprocess.DEVNULL):
    """A running helper compiling `predict_chunk` for these argument types, or None."""
    if (os.cpu_count() or 1) < 2 or kernels.library is None or \
            _cached(kernels.path, "predict_chunk"):
        return None
    spec = {"library": str(kernels.library), "module": str(kernels.path), "feature": feature,
            "out": list(out_shape), "hypers": hypers, "state": [[list(a.shape), str(a.dtype)] for a in state]}
    try:
        return subprocess.Popen([sys.executable, "-m", "recipec.compiler.lower.cpu.compile_ahead",
                                 json.dumps(spec)], stdout=subprocess.DEVNULL,
                                stderr=stderr)
    except OSError:
        return None


def finish(helper, timeout: float = 300.0) -> None:
    """Wait for the helper (bounded); whatever happened, the caller compiles what is missing."""
    if helper is None:
        return
    try:
        helper.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        helper.kill()


def _main(argv: list[str]) -> int:
    from .. import load_path
    from ..executable import Executable
    from .threads import compiled_region, kernel_threads

    spec = json.loads(argv[0])
    load_path(Path(spec["library"]))
    module = load_path(Path(spec["module"]))
    state = [np.zeros(shape, dtype) for shape, dtype in spec["state"]]
    x = np.zeros((1, spec["feature"]), np.float32)
    named = {"X": x, "order": np.zeros(1, np.int64), "first": 0, "nsteps": 0, "batch": 1,
             "hypers": np.zeros(spec["hypers"], np.float64),
             "out": np.zeros([1] + spec["out"], np.float32), "nthreads": kernel_threads()}
    with compiled_region():      # the same argument types as CpuExecutable.warm_up's call
        module.predict_chunk(*Executable.positional("predict_chunk", named, state))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
