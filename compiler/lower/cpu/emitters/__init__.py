"""The CPU target's emitters, registered by IR op name.

An emitter turns one node into Numba source lines, given the function's EmitContext
(lower/cpu/module.py: names, shapes, scratch buffers, BLAS calls). A library entry is the
source of shape-generic kernels the emitted lines call; all of them form the helper library
every recipe shares, compiled once per machine (module.emit_library).
Elementwise ops need no emitter of their own: their formulas are rendered by elementwise.py.
"""
from __future__ import annotations

from typing import Callable

EMITTERS: dict[str, Callable] = {}
# name -> (parallel) -> library source; sorted by name when the library is assembled
LIBRARY: dict[str, Callable[[bool], str]] = {}


def f32(c: float) -> str:
    """A float32 constant in Numba source (float32 arithmetic stays float32)."""
    return f"np.float32({float(c)!r})"


def emitter(*ops: str):
    """Register the decorated function as the CPU emitter of each op in `ops`."""
    def register(fn):
        for op in ops:
            assert op not in EMITTERS, f"CPU emitter for {op} registered twice"
            EMITTERS[op] = fn
        return fn
    return register


def library(name: str):
    """Register the decorated `(parallel) -> source` as part of the shared helper library."""
    def register(fn):
        assert name not in LIBRARY, f"library part {name} registered twice"
        LIBRARY[name] = fn
        return fn
    return register


from . import (augment, batchnorm, conv, elementwise, epilogue, linalg, losses,  # noqa: E402,F401
               optim, regularize, structural, winners)
from . import binary, ce_weighted, distill, margin, quantize, regression_losses  # noqa: E402,F401
from . import saliency  # noqa: E402,F401
