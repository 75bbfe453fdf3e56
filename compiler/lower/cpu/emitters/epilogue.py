"""The epilogue ops (ops/epilogue.py): the folded op runs on each block while it is in cache."""
from __future__ import annotations

from . import emitter
from .conv import conv_emit, maxpool_grad_emit


def _matmul_epilogue_emit(n, ctx):
    a, b, aux = n.inputs
    return [ctx.gemm(ctx.name(a), ctx.name(b), ctx.name(n.outputs[0]),
                     n.attrs.get("trans_a", False), n.attrs.get("trans_b", False),
                     aux=ctx.name(aux), ep=n.attrs["ep"])]


emitter("conv_bias_act")(conv_emit)
emitter("matmul_epilogue")(_matmul_epilogue_emit)
emitter("maxpool_relu_grad")(maxpool_grad_emit)
