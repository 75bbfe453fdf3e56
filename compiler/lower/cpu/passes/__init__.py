"""The CPU target's pass list: the neutral passes, then two that fit its kernels.

`epilogue` folds a bias, ReLU or ReLU's mask into the product or gradient it reads, because the
CPU's sgemm blocks and conv samples are in cache when their thread finishes them; `winners`
feeds a convolution's gradients the max-pool windows' winners, tuned for AVX-512 rows (MIN_ROW).
"""
from __future__ import annotations

from ....ir import Graph
from ....passes import DCE, FUSE, Pass


def _epilogue(g: Graph) -> Graph:
    from .epilogue import fold_epilogues

    return fold_epilogues(g)


def _winners(g: Graph) -> Graph:
    from .winners import use_pool_winners

    return use_pool_winners(g)


PASSES = (
    DCE,
    FUSE,
    Pass("epilogue", _epilogue,
         "fold a bias, ReLU or ReLU's mask into the product or gradient it reads",
         ("conv_bias_act", "matmul_epilogue", "maxpool_relu_grad")),
    Pass("winners", _winners,
         "feed a convolution's gradients the max-pool windows' winners, not a dense gradient",
         ("maxpool_winners", "conv_grad_weight_winners", "conv_grad_input_winners")),
)
