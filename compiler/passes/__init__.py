"""IR -> IR passes. Each is a named, pure step; a target lists the ones it runs, in order.

Target-neutral passes live here (autodiff is run by the step builder, dce and fuse by every
target that wants them); a pass that only pays off on one target (the CPU's epilogue folding
and max-pool winners) lives with that target, under compiler/lower/<target>/passes/.
`introduces` names the ops a pass can create that nothing before it builds: a target must have
an emitter for those too (tests/test_seam.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..ir import Graph


@dataclass(frozen=True)
class Pass:
    name: str
    run: Callable[[Graph], Graph]
    doc: str
    introduces: tuple[str, ...] = ()


def _dce(g: Graph) -> Graph:
    from .dce import dead_code_elimination

    return dead_code_elimination(g)


def _fuse(g: Graph) -> Graph:
    from .fuse import fuse_elementwise

    return fuse_elementwise(g)


DCE = Pass("dce", _dce, "drop nodes whose results nobody uses")
FUSE = Pass("fuse", _fuse, "merge neighbouring elementwise ops into one loop", ("fused",))

# what runs when no target is asked for (the IR alone: `recipec compile --emit ir`, the oracle)
NEUTRAL = (DCE, FUSE)
