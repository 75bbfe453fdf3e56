"""Ops the epilogue pass builds (lower/cpu/passes/epilogue.py): a product, convolution or pooling
gradient with the elementwise op that consumes it folded in.

They exist after autodiff only, so they need no VJP. Each reference is the composition it
replaces, so the interpreter checks the folding like any other op; the kernels apply the
folded op to each block of the result while it is still in cache (the CPU target's
lower/cpu/cblas.py and emitters/conv.py).
"""
from __future__ import annotations

import numpy as np

from . import OpDef, register
from .conv import _conv_infer, _conv_ref, _maxpool_grad_ref
from .linalg import _mm_infer, _mm_ref

# What a product's consumer does to each block of it: add a dense layer's bias (and apply its
# ReLU), or mask a gradient with ReLU's derivative.
EPILOGUES = ("none", "bias", "bias_relu", "relu_mask")


def _apply(y, aux, ep):
    if ep == "bias":
        return (y + aux).astype(y.dtype)
    if ep == "bias_relu":
        return np.maximum(y + aux, 0).astype(y.dtype)
    if ep == "relu_mask":
        return np.where(aux > 0, y, 0).astype(y.dtype)
    raise ValueError(f"unknown epilogue {ep!r}")


def _conv_bias_act_ref(x, w, bias, *, stride, padding, act):
    return _apply(_conv_ref(x, w, stride=stride, padding=padding), bias,
                  "bias_relu" if act else "bias")


register(OpDef(
    "conv_bias_act", lambda types, attrs: _conv_infer(types[:2], attrs), _conv_bias_act_ref,
    doc="conv(x, w) + bias [F, 1(, 1)], then ReLU when act (built by lower/cpu/passes/epilogue.py)"))


def _matmul_epilogue_ref(a, b, aux, *, ep, trans_a=False, trans_b=False):
    return _apply(_mm_ref(a, b, trans_a=trans_a, trans_b=trans_b), aux, ep)


register(OpDef(
    "matmul_epilogue", lambda types, attrs: _mm_infer(types[:2], attrs), _matmul_epilogue_ref,
    doc=f"op(A) @ op(B), then epilogue `ep` ({', '.join(e for e in EPILOGUES if e != 'none')})"
        " with operand aux (built by lower/cpu/passes/epilogue.py)"))


def _maxpool_relu_grad_ref(x, dy, *, size, stride):
    return _apply(_maxpool_grad_ref(x, dy, size=size, stride=stride), x, "relu_mask")


register(OpDef(
    "maxpool_relu_grad", lambda types, attrs: [types[0]], _maxpool_relu_grad_ref,
    doc="relu_grad(x, maxpool_grad(x, dy)) for x a ReLU's output (built by lower/cpu/passes/epilogue.py)"))
