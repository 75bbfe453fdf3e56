"""IR -> IR passes. Each is a named, pure step; `PIPELINE` lists them in the order they run."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..ir import Graph


@dataclass(frozen=True)
class Pass:
    name: str
    run: Callable[[Graph], Graph]
    doc: str


def _pipeline() -> list[Pass]:
    from .dce import dead_code_elimination
    from .epilogue import fold_epilogues
    from .fuse import fuse_elementwise
    from .winners import use_pool_winners

    return [
        Pass("dce", dead_code_elimination, "drop nodes whose results nobody uses"),
        Pass("fuse", fuse_elementwise, "merge neighbouring elementwise ops into one loop"),
        Pass("epilogue", fold_epilogues,
             "fold a bias, ReLU or ReLU's mask into the product or gradient it reads"),
        Pass("winners", use_pool_winners,
             "feed a convolution's gradients the max-pool windows' winners, not a dense "
             "gradient"),
    ]


PIPELINE = _pipeline()
