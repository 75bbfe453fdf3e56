"""`python -m bench.cuda_probe`: what a GPU session reads first, in seconds.

The CUDA target runs a chunk of steps as one cooperative kernel with a grid barrier between
ops, so a step costs (barriers per step x one barrier's time) + the ops' own work. This
prints the two numbers that split a measured step time that way: one `grid.sync()`'s time on
this GPU for several launch shapes, and, for the benchmark's MLP case, the barriers per step
(counted in the generated source), the kernel's registers per thread and the largest
co-resident grid. Without a GPU it says so and exits 0.
"""
from __future__ import annotations

import re
import sys
import time

SYNCS = 2000


def _sync_kernel(cuda):
    @cuda.jit("void(int64, float32[:])")
    def syncs(n, out):
        grid = cuda.cg.this_grid()
        i = cuda.grid(1)
        acc = 0.0
        for k in range(n):
            acc += k
            grid.sync()
        if i == 0:
            out[0] = acc
    return syncs


def sync_times(cuda) -> list[tuple[int, int, float]]:
    """(blocks, threads, microseconds per grid.sync()) for a few shapes."""
    import numpy as np
    kernel = _sync_kernel(cuda)
    sms = cuda.get_current_device().MULTIPROCESSOR_COUNT
    out = cuda.device_array(1, np.float32)
    rows = []
    compiled = next(iter(kernel.overloads.values()))
    for threads in (128, 256, 512, 1024):
        most = compiled.max_cooperative_grid_blocks(threads)
        for per_sm in (1, 2, 4):
            blocks = sms * per_sm
            if blocks > most:
                continue
            kernel[blocks, threads](10, out)
            cuda.synchronize()
            start = time.perf_counter()
            kernel[blocks, threads](SYNCS, out)
            cuda.synchronize()
            rows.append((blocks, threads, (time.perf_counter() - start) / SYNCS * 1e6))
    return rows


def main() -> int:
    try:
        from recipec.compiler.lower.cuda.device import cuda as find_cuda
        cuda = find_cuda()
    except Exception as err:
        print(f"cuda_probe: skipped: {getattr(err, 'message', err)}")
        return 0
    import numba
    try:
        import numba_cuda
        version = getattr(numba_cuda, "__version__", "?")
    except ImportError:
        version = "not installed"
    device = cuda.get_current_device()
    print(f"GPU {device.name} cc {device.compute_capability} SMs {device.MULTIPROCESSOR_COUNT}; "
          f"numba {numba.__version__}, numba-cuda {version}")
    for blocks, threads, us in sync_times(cuda):
        print(f"  grid.sync(): {blocks:4d} blocks x {threads:4d} threads: {us:6.2f} us")

    import recipec
    from recipec.compiler.check import check_source

    from .cases import CASES
    for case in CASES:
        recipe = check_source(case.recipe_text(), f"{case.key}.recipe", ["train.target=cuda"])
        start = time.perf_counter()
        program = recipec.compile(recipe, target="cuda")
        ex = program.executable
        ex.warm_up()
        compiled = time.perf_counter() - start
        source = ex.kernels.source
        train = source[source.index("def train_chunk"):source.index("def predict_chunk")] \
            if "def predict_chunk" in source else source
        step_loop = train[train.index("for it in range(nsteps)"):]
        try:                     # numba-cuda's introspection: one compiled overload
            compiled_kernel = next(iter(ex.module.train_chunk.overloads.values()))
            regs = compiled_kernel.regs_per_thread
            local = compiled_kernel.local_mem_per_thread
            most = compiled_kernel.max_cooperative_grid_blocks(ex.threads)
        except Exception as err:
            regs = local = most = f"? ({type(err).__name__}: {err})"
        barriers = len(re.findall(r"grid\.sync\(\)", step_loop))
        print(f"  {case.key}: {barriers} barriers per "
              f"step; {regs} registers, {local} B local per thread; grid {ex.blocks}x"
              f"{ex.threads}, at most {most} co-resident blocks; compiled in {compiled:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
