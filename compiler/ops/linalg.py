"""Matrix products and sum reductions."""
from __future__ import annotations

import numpy as np

from ..types import TensorType
from . import OpDef, register


def _mm_infer(types, attrs):
    a, b = types
    assert a.rank == 2 and b.rank == 2, f"matmul wants 2-D operands, got {a}, {b}"
    m, k = (a.shape[1], a.shape[0]) if attrs.get("trans_a") else a.shape
    k2, n = (b.shape[1], b.shape[0]) if attrs.get("trans_b") else b.shape
    assert k == k2, f"matmul inner dimensions differ: {a} x {b} (attrs {attrs})"
    return [TensorType((m, n), a.dtype)]


def _mm_ref(a, b, *, trans_a=False, trans_b=False):
    return (a.T if trans_a else a) @ (b.T if trans_b else b)


def _mm_vjp(g, n, ct):
    # d(AB) = dA B + A dB; with C = op(A) op(B): dA = dC B^T, dB = A^T dC (transposes folded).
    a, b = n.inputs
    ta, tb = n.attrs.get("trans_a", False), n.attrs.get("trans_b", False)
    d = ct[0]
    da = (g.add("matmul", b, d, trans_a=tb, trans_b=True) if ta
          else g.add("matmul", d, b, trans_b=not tb))
    db = (g.add("matmul", d, a, trans_a=True, trans_b=ta) if tb
          else g.add("matmul", a, d, trans_a=not ta))
    return [da, db]  # an unneeded one (e.g. for the input batch) is removed by dead-code elimination


register(OpDef("matmul", _mm_infer, _mm_ref, vjp=_mm_vjp,
               doc="C = op(A) @ op(B), op = transpose when trans_a / trans_b"))


def _rs_infer(types, attrs):
    (x,) = types
    return [TensorType(tuple(d for i, d in enumerate(x.shape) if i not in attrs["axes"]), x.dtype)]


def _rs_ref(x, *, axes):
    return x.sum(axis=tuple(axes), dtype=np.float64).astype(x.dtype)


register(OpDef("reduce_sum", _rs_infer, _rs_ref,
               doc="sum over `axes` (appears only in gradients, so it has no VJP of its own)"))
