"""The Numba CUDA target: everything that knows Numba's CUDA backend lives in this package.

  module.py      the recipe's train_chunk / predict_chunk, each ONE cooperative kernel
  layout.py      every tensor a slice of a per-dtype arena (kernel parameters are 4 KiB)
  emitters/      one device-code emitter per IR op name
  rng.py         the counter RNG as device functions (the CPU's masks, bit for bit)
  device.py      finding numba-cuda and a GPU (or the simulator), the launch shape
  executable.py  the CUDA Executable: state and data resident on the device
Importing this package imports no Numba CUDA: that happens when a recipe is compiled for it.
"""
from __future__ import annotations

from ...passes import DCE, FUSE

# the neutral passes only: the CPU's epilogue and winners passes fit its BLAS blocks and
# AVX-512 rows; on this target each op is already one phase of one kernel
PASSES = (DCE, FUSE)

# Ops the pipeline can leave whose CUDA kernels are not written yet: a recipe using one is
# refused with X003 (module.emit_body) before anything runs. tests/test_seam.py holds this
# list to exactly what is missing, so it shrinks as kernels land.
PENDING = frozenset({
    # no step graph holds it (the runtime computes the reported penalty from the weights)
    "l1l2_penalty",
    # int8 inference (compiler/quantize.py) is the CPU target's: an int8 model is compiled
    # for the CPU whatever the training's target
    "quantize_i8", "matmul_i8", "conv_i8", "dequantize",
})


def emitted_ops() -> set[str]:
    from ...ops import OPS
    from .emitters import EMITTERS

    return set(EMITTERS) | {name for name, op in OPS.items() if op.elementwise}


def listing(graphs, options) -> str:
    from .module import emit_module

    source, _, _ = emit_module(graphs.train, graphs.predict, graphs.hypers)
    return "# ---- this recipe's CUDA kernels ----\n" + source


def ptx_listing(graphs) -> str:
    """Both kernels compiled to PTX for sm_90 (ptx.py): no GPU needed, libNVVM is."""
    from .ptx import compile_ptx

    return "\n".join(f"// ---- {name} ----\n{ptx}" for name, ptx in compile_ptx(graphs).items())


def check_settings() -> None:
    pass


def compile(graphs, options):
    """Generate and load the recipe's CUDA module; numba-cuda and a device (or the simulator)
    are looked for here (device.py), so a missing one is a TargetUnavailable, not an import
    error."""
    from .executable import CudaExecutable

    return CudaExecutable(graphs, options)
