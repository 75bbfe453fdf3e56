"""Reshape is a view: buffers are contiguous, so no data moves."""
from __future__ import annotations

from . import emitter


def _reshape_emit(n, ctx):
    out = n.outputs[0]
    dims = ", ".join(ctx.shape(out))
    return [f"{ctx.name(out)} = view({ctx.name(n.inputs[0])}, ({dims},))"]


emitter("reshape")(_reshape_emit)
