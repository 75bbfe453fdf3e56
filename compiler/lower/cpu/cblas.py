"""Matrix products through CBLAS `sgemm`, called straight from the generated kernels.

Why not Numba's `np.dot`: it calls scipy's OpenBLAS through a generic dispatcher, copies or
refuses strided views, and always runs the whole product in one call. Under the default
threading layout (lower/cpu/threads.py) BLAS is limited to one thread, so every product of the
step then ran on one core while the other waited. Calling `cblas_sgemm` ourselves lets a kernel
cut one product into row (or column) blocks, one single-threaded sgemm per prange thread, with
no copies: a block is a pointer offset and the parent's leading dimension.
Measured (2-core AMD EPYC, OpenBLAS 0.3.31, GFLOP/s, [64 x 784] @ [784 x 128]): one call 96,
two blocks on two threads 161; 1024^3: 101 vs 207.

The library is the BLAS numpy itself is linked against (found through threadpoolctl), loaded
with `load_library_permanently` and declared as an `ExternalFunction` by symbol name, so that
Numba's on-disk cache stays valid across processes (a ctypes pointer would bake an address
into the compiled code and make the kernel uncacheable). Pointers are passed as intp, which the
x86-64 and AArch64 calling conventions treat exactly like `float *`.
When no CBLAS symbol is found (or RECIPEC_BLAS=numba), products are emitted as `np.dot`.
"""
from __future__ import annotations

import ctypes
import functools
import os
from dataclasses import dataclass

from ...ops.epilogue import EPILOGUES as EPILOGUE_KINDS
from .entry import IMPL, export

# symbol, bits of its integer arguments; numpy's own wheels ship the first one
CANDIDATES = (("scipy_cblas_sgemm64_", 64), ("cblas_sgemm64_", 64),
              ("scipy_cblas_sgemm", 32), ("cblas_sgemm", 32))

# Products smaller than this many multiply-adds run as one call: a parallel region costs a few
# microseconds, about what a 64x64x64 product takes.
SPLIT_MIN_MACS = 1 << 18


@dataclass(frozen=True)
class Cblas:
    path: str
    symbol: str
    bits: int


def _blas_libraries() -> list[str]:
    """Paths of the BLAS libraries loaded in this process, numpy's own first.

    The order must not depend on what happened to be imported before (scipy brings its own
    OpenBLAS): every process, the kernel-compiling helper included, must pick the same one.
    """
    import numpy
    from threadpoolctl import threadpool_info

    site = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    mine = (os.path.join(site, "numpy.libs"), os.path.join(site, "numpy"))
    paths = [lib["filepath"] for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return sorted(paths, key=lambda path: not path.startswith(mine))


def _lookup(paths: list[str], candidates) -> Cblas | None:
    for path in paths:
        try:
            handle = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol, bits in candidates:
            if hasattr(handle, symbol):
                return Cblas(path, symbol, bits)
    return None


@functools.cache
def find() -> Cblas | None:
    if os.environ.get("RECIPEC_BLAS", "cblas") == "numba":
        return None
    return _lookup(_blas_libraries(), CANDIDATES)


@functools.cache
def external(symbol: str, bits: int):
    """The Numba declaration of `symbol`, after loading the library that defines it."""
    import llvmlite.binding as llvm
    from numba import types
    from numba.types import ExternalFunction

    found = _lookup(_blas_libraries(), [(symbol, bits)])
    if found is None:
        raise RuntimeError(f"the BLAS symbol {symbol} these kernels were compiled for is not "
                           "available in this process; clear the kernel cache")
    llvm.load_library_permanently(found.path)
    i, p, e, f = (types.int64 if bits == 64 else types.int32), types.intp, types.int32, \
        types.float32
    return ExternalFunction(symbol, types.void(e, e, e, i, i, i, f, p, i, p, i, f, p, i))


PRELUDE = '''
from recipec.compiler.lower.cpu.cblas import external as _external
_sgemm = _external("{symbol}", {bits})


@njit(cache=True)
def gemm_block(ta, tb, m, n, k, pa, lda, pb, ldb, beta, pc, ldc):
    # row-major CBLAS (101); 111 = no transpose, 112 = transpose
    _sgemm(101, 112 if ta else 111, 112 if tb else 111, m, n, k, np.float32(1.0),
           pa, lda, pb, ldb, np.float32(beta), pc, ldc)


@njit(cache=True)
def _check(t):
    if t.strides[1] != 4 or t.strides[0] != 4 * t.shape[1]:
        raise ValueError("gemm operands must be C-contiguous float32 matrices")


@njit(cache=True)
def _dims(a, b, c, ta):
    _check(a)
    _check(b)
    _check(c)
    return c.shape[0], c.shape[1], (a.shape[0] if ta else a.shape[1])


@njit(cache=True)
def gemm_serial(a, b, c, ta, tb, beta):
    """c = op(a) @ op(b) + beta * c in one BLAS call (for use inside a prange loop)."""
    m, n, k = _dims(a, b, c, ta)
    gemm_block(ta, tb, m, n, k, a.ctypes.data, a.shape[1], b.ctypes.data, b.shape[1], beta,
               c.ctypes.data, n)


{decorator}
def gemm_impl(a, b, c, ta, tb, aux, ep, nthreads):
    """c = epilogue(op(a) @ op(b)), cut into `nthreads` row blocks (or column blocks when c is
    wider than tall), one single-threaded sgemm per thread, each followed by the epilogue on
    its own block while it is in cache (see `epilogue`). Block edges are multiples of 16 so
    each thread's tiles line up with the microkernel's."""
    m, n, k = _dims(a, b, c, ta)
    lda, ldb = a.shape[1], b.shape[1]
    pa, pb, pc = a.ctypes.data, b.ctypes.data, c.ctypes.data
    chunks = nthreads if m * n * k >= {split_min} else 1
    if chunks <= 1:
        gemm_block(ta, tb, m, n, k, pa, lda, pb, ldb, 0.0, pc, n)
        epilogue(c, aux, ep, 0, m, 0, n)
    elif m >= n:
        step = ((m + chunks - 1) // chunks + 15) // 16 * 16
        for t in prange(chunks):
            i0 = t * step
            i1 = min(m, i0 + step)
            if i1 > i0:
                gemm_block(ta, tb, i1 - i0, n, k, pa + 4 * (i0 if ta else i0 * lda), lda,
                           pb, ldb, 0.0, pc + 4 * i0 * n, n)
                epilogue(c, aux, ep, i0, i1, 0, n)
    else:
        step = ((n + chunks - 1) // chunks + 15) // 16 * 16
        for t in prange(chunks):
            j0 = t * step
            j1 = min(n, j0 + step)
            if j1 > j0:
                gemm_block(ta, tb, m, j1 - j0, k, pa, lda, pb + 4 * (j0 * ldb if tb else j0),
                           ldb, 0.0, pc + 4 * j0, n)
                epilogue(c, aux, ep, 0, m, j0, j1)
'''


# without CBLAS: np.dot allocates its product, which is then stored or accumulated
DOT_PRELUDE = '''
@njit(cache=True)
def dot_into(product, c, beta):
    if beta == 0.0:
        c[:] = product
    else:
        c += product
'''


# What a product's consumer does to it, applied by the product's own thread to its block while
# the block is in cache (a separate pass would read and write all of c again): the bias of a
# dense layer and its ReLU, or the ReLU derivative's mask in the backward pass.
EPILOGUES = {name: code for code, name in enumerate(EPILOGUE_KINDS)}   # the kernels' codes

EPILOGUE = '''
@njit(cache=True, error_model='numpy')
def epilogue(c, aux, ep, i0, i1, j0, j1):
    """On c[i0:i1, j0:j1]: 1 adds aux[j] (a bias), 2 adds it and applies ReLU, 3 keeps c where
    aux (flat, c's shape) > 0 (ReLU's derivative). Slices and range(size) keep the indices
    provably non-negative (no wrap-around test, so the loops vectorise)."""
    n = c.shape[1]
    if ep == 1 or ep == 2:
        bias = aux[j0:j1]
        for i in range(i0, i1):
            row = c[i, j0:j1]
            if ep == 2:
                for j in range(row.size):
                    row[j] = max(row[j] + bias[j], np.float32(0.0))
            else:
                for j in range(row.size):
                    row[j] += bias[j]
    elif ep == 3:
        for i in range(i0, i1):
            row = c[i, j0:j1]
            mask = aux[i * n + j0:i * n + j1]
            for j in range(row.size):
                g = row[j]
                row[j] = g if mask[j] > np.float32(0.0) else np.float32(0.0)
'''


def prelude(parallel: bool) -> str:
    """Helper functions every generated module defines."""
    found = find()
    if found is None:
        return EPILOGUE + DOT_PRELUDE
    return EPILOGUE + PRELUDE.format(
        symbol=found.symbol, bits=found.bits, decorator=IMPL,
        split_min=SPLIT_MIN_MACS) + "\n\n" + export(
        "gemm", "a: f32[2], b: f32[2], c: f32[2], ta: bool, tb: bool, aux: f32[*], ep: int, "
                "nthreads: int")


def emit_gemm(a: str, b: str, c: str, trans_a: bool, trans_b: bool, split: bool,
              beta: str = "0.0", aux: str = "", ep: str = "none") -> str:
    """One line computing c = op(a) @ op(b) (+ beta * c) for C-contiguous 2-D operands, then
    the epilogue `ep` (EPILOGUES) with its operand `aux`. `split` cuts the product across
    threads; pass False inside a prange loop (no nested parallel regions). `beta` (an
    expression) is only supported unsplit, epilogues only split."""
    assert beta == "0.0" or not split, "accumulating products are not split"
    assert ep == "none" or split, "epilogues are applied by split products"
    code = EPILOGUES[ep]
    if find() is None:
        operands = f"{a}{'.T' if trans_a else ''}, {b}{'.T' if trans_b else ''}"
        if beta != "0.0":
            return f"dot_into(np.dot({operands}), {c}, {beta})"
        if code:
            return (f"np.dot({operands}, {c}); "
                    f"epilogue({c}, {aux}, {code}, 0, {c}.shape[0], 0, {c}.shape[1])")
        return f"np.dot({operands}, {c})"
    if split:
        return f"gemm({a}, {b}, {c}, {trans_a}, {trans_b}, {aux}, {code}, nthreads)"
    return f"gemm_serial({a}, {b}, {c}, {trans_a}, {trans_b}, {beta})"
