"""The CUDA kernels compiled to PTX by numba-cuda's own compiler, with no GPU in the machine.

Why: the simulator runs the generated kernels as Python, so it checks their arithmetic but not
that Numba CUDA can type and compile them (a float32/float64 unification, an unsupported
call). Compiling to PTX for a named compute capability runs the whole of Numba's typing and
NVVM's code generation, and needs only libNVVM (`pip install 'numba-cuda[cu12]'`), no driver.
`recipec compile FILE --target cuda --emit ptx` prints the result; tests/test_cuda_ptx.py
compiles every example recipe this way.
"""
from __future__ import annotations

import contextlib

DEFAULT_CC = (9, 0)          # Hopper (H100/H200): the GPUs these kernels are measured on


def _array(dtype: str, rank: int):
    from numba import types

    return types.Array(getattr(types, dtype), rank, "C")


def signatures(graphs) -> dict[str, tuple]:
    """The Numba argument types of train_chunk and predict_chunk (abi.py's order, then the
    arenas and BMAX), as CudaExecutable passes them."""
    from numba import types

    y = graphs.train.input_named("y")
    i64 = types.int64
    f32, i64a, f64 = _array("float32", 1), _array("int64", 1), _array("float64", 1)
    arenas = (f32, i64a, f64, i64)
    x = _array("float32", 2)
    label = _array(y.dtype, len(y.shape))
    return {"train_chunk": (x, label, i64a, i64, i64, i64, f32, f64, i64, i64, f32, i64a, i64)
            + arenas,
            "predict_chunk": (x, i64a, i64, i64, i64, f64, _array("float32", 2), i64) + arenas}


@contextlib.contextmanager
def _compute_capability(cc):
    """numba-cuda compiles a kernel's device functions for the current GPU's compute
    capability, asking the driver for it; without a GPU there is none to ask, so the question
    is answered with `cc` while the PTX compiles."""
    from numba.cuda import dispatcher

    class _Device:
        compute_capability = cc

    real = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: _Device()
    try:
        yield
    finally:
        dispatcher.get_current_device = real


def compile_ptx(graphs, cc: tuple[int, int] = DEFAULT_CC, optimize: bool = True
                ) -> dict[str, str]:
    """{kernel name: PTX} for compute capability `cc` (`optimize=False`: NVVM's optimiser
    off; measured hardly faster, 5.1 s against 6.6 s for the iris kernels: the time goes to
    typing and lowering the one large kernel). Raises TargetUnavailable (X001) where
    numba-cuda or libNVVM is missing, or under the simulator, which has no compiler."""
    from .. import TargetUnavailable
    from ..cache import load_source
    from . import device
    from .module import emit_module

    if device.simulated():
        raise TargetUnavailable("PTX cannot be compiled under NUMBA_ENABLE_CUDASIM=1 (the "
                                "simulator has no compiler)", "X001",
                                "unset NUMBA_ENABLE_CUDASIM")
    cuda = device.cuda_package()
    source, _, _ = emit_module(graphs.train, graphs.predict, graphs.hypers)
    module = load_source(source, "cuda").module
    out = {}
    with _compute_capability(cc):
        for name, signature in signatures(graphs).items():
            try:
                out[name], _ = cuda.compile_ptx(getattr(module, name).py_func, signature,
                                                cc=cc, opt=optimize)
            except Exception as err:        # no libNVVM: numba-cuda says which file it sought
                if "NVVM" in type(err).__name__ or "nvvm" in str(err).lower():
                    raise TargetUnavailable(f"PTX needs libNVVM: {err}", "X001",
                                            "pip install 'numba-cuda[cu12]'") from None
                raise
    return out
