"""The epilogue pass (compiler/lower/cpu/passes/epilogue.py): what it folds, what it leaves, and that the
folded graph computes what the unfolded one does (reference interpreter, both graphs)."""
from __future__ import annotations

from collections import Counter

import numpy as np

import recipec
from recipec.compiler.interpret import run_graph
from recipec.compiler.pipeline import optimize
from recipec.compiler.step import build_step_graphs
from recipec.runtime.state import TrainState

RECIPE = """
recipe folds
data {{ source = digits()  normalize = none  validation = 0 }}
model {{
  input [1, 8, 8]
  conv2d(4, 3) {act}
  maxpool2d(2)
  flatten
  dense(8) {act}
  dense(3)
}}
loss = cross_entropy
optimizer = sgd(lr = 0.1, momentum = 0.9)
train {{ epochs = 1  batch = 5  seed = 3 }}
"""


def _graphs(act: str):
    return build_step_graphs(recipec.loads(RECIPE.format(act=act), "folds.recipe"))


def _ops(g) -> Counter:
    return Counter(n.op if n.op != "matmul_epilogue" else f"matmul+{n.attrs['ep']}"
                   for n in g.nodes)


def test_relu_layers_fold_into_their_products():
    g = optimize(_graphs("relu").train)
    ops = _ops(g)
    assert ops["conv_bias_act"] == 1 and ops["maxpool_relu_grad"] == 1
    assert ops["matmul+bias_relu"] == 1 and ops["matmul+bias"] == 1
    assert ops["matmul+relu_mask"] == 1
    # nothing is left for the recipe's own loops: no bias add, activation or its mask
    assert not {"add", "relu", "relu_grad", "fused", "conv", "maxpool_grad"} & set(ops)


def test_other_activations_keep_their_loops():
    g = optimize(_graphs("tanh").train)
    ops = _ops(g)
    assert "conv_bias_act" not in ops and ops["conv"] == 1 and ops["fused"] >= 2
    assert "maxpool_relu_grad" not in ops and ops["maxpool_grad"] == 1
    assert ops["matmul+bias"] == 1        # the last layer has no activation: still folded


def test_folded_graph_computes_the_same_step():
    graphs = _graphs("relu")
    raw = graphs.train
    folded = optimize(graphs.train)
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((5, 1, 8, 8)).astype(np.float32),
             "y": rng.integers(0, 3, 5).astype(np.int64), "lr": np.float32(0.1),
             "step": np.int64(0), "seed": np.int64(3)}
    results = []
    for g in (raw, folded):
        state = TrainState.fresh(graphs, seed=3)          # the same initial weights each time
        out = run_graph(g, {**feeds, **state.named(graphs)}, graphs.hypers)
        results.append((out["loss"], state.named(graphs)))
    (loss_a, state_a), (loss_b, state_b) = results
    np.testing.assert_allclose(loss_b, loss_a, rtol=1e-6)
    for name in state_a:                                  # the updated parameters and slots
        np.testing.assert_allclose(state_b[name], state_a[name], rtol=1e-5, atol=1e-7,
                                   err_msg=name)
