"""The Numba CPU target: everything that knows Numba's CPU backend lives in this package.

  passes/        the CPU's pass list (the neutral dce and fuse, then epilogue and winners)
  emitters/      one emitter per IR op name, and the shape-generic library kernels
  module.py      the recipe's train_chunk / predict_chunk as one generated module
  cblas.py       sgemm from numpy's own OpenBLAS, cut across the threads
  entry.py, machine_code.py   C entry points and recipec's machine-code cache
  threads.py     who owns the cores (Numba's prange or BLAS), how many threads a chunk uses
  helper.py      a helper process compiling some entries while this one compiles others
  executable.py  the CPU Executable
Importing this package imports no Numba: that happens when a recipe is compiled.
"""
from __future__ import annotations

from .passes import PASSES  # noqa: F401


def emitted_ops() -> set[str]:
    from ...ops import OPS
    from .emitters import EMITTERS

    return set(EMITTERS) | {name for name, op in OPS.items() if op.elementwise}


def sources(graphs, options) -> tuple[str, str]:
    """(helper library source, the recipe's kernel module source)."""
    from .module import emit_library, emit_module, library_name
    from .threads import numba_owns_cores

    parallel = numba_owns_cores() if options.parallel is None else options.parallel
    library = emit_library(parallel)
    return library, emit_module(graphs.train, graphs.predict, graphs.hypers, parallel,
                                options.batch, library_name(library), library)


def listing(graphs, options) -> str:
    library, module = sources(graphs, options)
    return ("# ---- shared helper library (compiled once per machine) ----\n" + library
            + "\n# ---- this recipe's kernels ----\n" + module)


def check_settings() -> None:
    from .threads import layout, policy

    layout()
    policy()


def compile(graphs, options):
    """Generate, write and load the recipe's kernel module (machine code loads lazily, at the
    first call or at warm_up)."""
    from .executable import CpuExecutable

    return CpuExecutable(graphs, options)
