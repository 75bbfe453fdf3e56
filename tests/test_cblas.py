"""The CBLAS product helpers the kernels call (compiler/lower/cpu/cblas.py), against numpy."""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.compiler.lower.cpu import cblas, module as cpu

needs_cblas = pytest.mark.skipif(cblas.find() is None, reason="numpy's BLAS exports no cblas")


@pytest.fixture(scope="module")
def helpers():
    """The shared helper library as kernel modules load it, gemm's C entry point registered
    (compiler/lower/cpu/entry.py)."""
    from recipec.compiler.lower import load_source

    library = load_source(cpu.emit_library(True), "cpu", kind="lib").module
    library.require("gemm")
    return vars(library)


NOTHING = np.empty(0, np.float32)


# (m, k, n): row splits (m >= n), column splits (n > m), sizes that do not divide into the
# 16-aligned blocks, and products below the split threshold (one call)
SHAPES = [(100, 70, 50), (37, 90, 150), (64, 784, 128), (784, 64, 128), (5, 3, 7), (1, 9, 300)]


@needs_cblas
@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("nthreads", [1, 2, 3])
def test_gemm_blocks_compute_the_whole_product(helpers, m, k, n, ta, tb, nthreads):
    rng = np.random.default_rng(m * n + k)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    c = np.full((m, n), np.nan, np.float32)
    helpers["gemm"](a, b, c, ta, tb, NOTHING, 0, nthreads)
    want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
    np.testing.assert_allclose(c, want, rtol=1e-4, atol=1e-4 * np.sqrt(k))
    c2 = np.full((m, n), np.nan, np.float32)
    helpers["gemm_serial"](a, b, c2, ta, tb, 0.0)
    # one call == the blocks, to rounding: OpenBLAS's edge kernels sum in another order than
    # its main kernel (seen on a Zen host: 3.6e-6 on one element of 5550, after cancellation)
    np.testing.assert_allclose(c2, c, rtol=1e-5, atol=2e-6 * np.sqrt(k))


@needs_cblas
@pytest.mark.parametrize("m,k,n", [(100, 70, 50), (37, 90, 150), (5, 3, 7)])
@pytest.mark.parametrize("ep", ["bias", "bias_relu", "relu_mask"])
@pytest.mark.parametrize("nthreads", [1, 2, 3])
def test_gemm_epilogues_on_every_block(helpers, m, k, n, ep, nthreads):
    """Each thread applies the epilogue to its own row or column block: together they must
    cover the whole product exactly once."""
    rng = np.random.default_rng(m + n + k)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    aux = rng.standard_normal(n if ep != "relu_mask" else (m, n)).astype(np.float32)
    c = np.full((m, n), np.nan, np.float32)
    helpers["gemm"](a, b, c, False, False, aux, cblas.EPILOGUES[ep], nthreads)
    product = a.astype(np.float64) @ b.astype(np.float64)
    want = {"bias": product + aux, "bias_relu": np.maximum(product + aux, 0),
            "relu_mask": np.where(aux > 0, product, 0)}[ep]
    np.testing.assert_allclose(c, want, rtol=1e-4, atol=1e-4 * np.sqrt(k))


@needs_cblas
def test_gemm_refuses_strided_operands(helpers):
    a = np.ones((8, 8), np.float32)[:, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        helpers["gemm_serial"](a, np.ones((4, 3), np.float32), np.empty((8, 3), np.float32),
                               False, False, 0.0)
    with pytest.raises(ValueError, match="C-contiguous"):       # the entry point's shim
        helpers["gemm"](a, np.ones((4, 3), np.float32), np.empty((8, 3), np.float32),
                        False, False, NOTHING, 0, 2)


def test_without_cblas_products_lower_to_np_dot(monkeypatch, tmp_path):
    """RECIPEC_BLAS=numba (or a numpy without CBLAS symbols): the same recipe compiles to
    np.dot and still trains."""
    monkeypatch.setenv("RECIPEC_BLAS", "numba")
    cblas.find.cache_clear()
    try:
        assert "gemm" not in cblas.prelude(True)
        assert cblas.emit_gemm("a", "b", "c", True, False, split=True) == "np.dot(a.T, b, c)"
        recipe = recipec.loads(
            'data { source = npz("unused.npz") }\ntrain { epochs = 1 batch = 8 seed = 3 }\n'
            "model { input [1, 6, 6] conv2d(2, 3) relu flatten dense(3) }\n"
            "loss = cross_entropy\noptimizer = sgd(lr = 0.1)\n", "nodot.recipe")
        program = recipec.compile(recipe)
        source = program.executable.kernels.source
        assert "np.dot(" in source and "gemm(" not in source
        from oracle import assert_steps_match_reference, random_batches

        x, y = random_batches(program, 16, np.random.default_rng(0))
        assert_steps_match_reference(program, x, y, batch=8, steps=2)
    finally:
        monkeypatch.delenv("RECIPEC_BLAS")
        cblas.find.cache_clear()


def test_small_loops_stay_serial_and_large_ones_parallel():
    from recipec.compiler.ir import Graph

    ctx = cpu.EmitContext(Graph(), batch_hint=64)
    assert ctx.loop("B", "10") == "range"                 # 640 elements
    assert ctx.loop("B", "784") == "prange"               # 50k elements
    assert ctx.loop("B * 32", "26 * 26") == "prange"
    assert ctx.loop("n_rows") == "prange"                 # unknown size: assume large


@needs_cblas
def test_find_picks_numpys_blas_whatever_was_imported_first():
    """scipy loads its own OpenBLAS (other symbols); the choice must not depend on import
    order, or a helper process would compile against a different library."""
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS into this process)

    cblas.find.cache_clear()
    try:
        paths = cblas._blas_libraries()
        found = cblas.find()
        numpy_own = [p for p in paths if "numpy" in p.split("site-packages")[-1].split("/")[1]]
        if numpy_own:
            assert found.path == numpy_own[0]
        assert cblas.external(found.symbol, found.bits) is not None
    finally:
        cblas.find.cache_clear()

