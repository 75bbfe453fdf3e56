"""Max-pool winners (ops/winners.py, lower/cpu/passes/winners.py, lower/cpu/emitters/winners.py): the references
against the dense gradients they replace, what the pass rewrites and what it leaves, the
rewritten step against the original (interpreter), and the compiled kernels against the
interpreter on padded, strided, overlapping and 1-D geometries."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from oracle import (HEADER, assert_steps_match_reference, each_recipe, force_parallel,
                    random_batches)

import recipec
from recipec.compiler.interpret import run_graph
from recipec.compiler.ops import get_op
from recipec.compiler.ops.winners import densify
from recipec.compiler.lower.cpu.passes import winners as winners_pass
from recipec.compiler.pipeline import optimize
from recipec.compiler.step import build_step_graphs
from recipec.runtime.state import TrainState

RECIPES = {
    # padded second conv; 2x2 pooling of odd sizes; ReLU's mask folded into the winners
    "padded": HEADER + """
        model {
          input [2, 9, 9]
          conv2d(8, 3, padding = same) relu maxpool2d(2)
          conv2d(6, 3, padding = 1) relu maxpool2d(2)
          flatten dense(3)
        }
        loss = cross_entropy
        optimizer = sgd(lr = 0.05, momentum = 0.9)
    """,
    # a strided conv, then overlapping windows (a position can win two of them)
    "strided_overlapping": HEADER + """
        model {
          input [1, 14, 14]
          conv2d(8, 3) relu maxpool2d(2)
          conv2d(8, 3, stride = 2, padding = 1) relu maxpool2d(2, stride = 1)
          flatten dense(3)
        }
        loss = cross_entropy
        optimizer = adam(lr = 0.01)
    """,
    # 1-D, no activation before the pool (maxpool_grad, not maxpool_relu_grad), no bias
    "conv1d": HEADER + """
        model {
          input [2, 30]
          conv1d(8, 3) relu maxpool1d(2)
          conv1d(6, 5, padding = same, bias = false) maxpool1d(3, stride = 2)
          flatten dense(3)
        }
        loss = cross_entropy
        optimizer = sgd(lr = 0.05)
    """,
}


def _graphs(name):
    return build_step_graphs(recipec.loads(RECIPES[name], f"{name}.recipe"))


# -- references ---------------------------------------------------------------------------------
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape,size,stride", [((3, 2, 7, 9), (2, 2), (2, 2)),
                                               ((2, 3, 7, 8), (3, 3), (2, 2)),
                                               ((2, 3, 11), (3,), (2,))])
def test_winners_stand_for_the_dense_pooling_gradient(shape, size, stride, relu):
    rng = np.random.default_rng(0)
    x = rng.integers(-1, 3, shape).astype(np.float32)      # ties and zeros
    if relu:
        x = np.maximum(x, 0)
    pooled = get_op("maxpool").reference(x, size=size, stride=stride)
    dy = rng.standard_normal(pooled.shape).astype(np.float32)
    pos, g = get_op("maxpool_winners").reference(x, dy, size=size, stride=stride, relu=relu)
    dense = get_op("maxpool_relu_grad" if relu else "maxpool_grad").reference(
        x, dy, size=size, stride=stride)
    np.testing.assert_allclose(densify(pos, g, x.shape[2:]), dense, rtol=1e-6, atol=1e-7)


# -- the pass -------------------------------------------------------------------------------------
def _ops(g) -> Counter:
    return Counter(n.op for n in g.nodes)


def test_the_pass_rewrites_wide_convolutions_behind_a_pool():
    ops = _ops(optimize(_graphs("padded").train))
    # the second conv (8 channels x 3 wide) takes the winners; the first (2 x 3) keeps its
    # dense gradient, and its input gradient is dead (the model's input)
    assert ops["maxpool_winners"] == 1 and ops["maxpool_relu_grad"] == 1
    assert ops["conv_grad_weight_winners"] == 1 and ops["conv_grad_input_winners"] == 1
    assert ops["conv_grad_weight"] == 1 and "conv_grad_input" not in ops


def test_the_pass_leaves_a_gradient_with_another_use():
    text = RECIPES["padded"].replace("padding = 1) relu", "padding = 1) tanh")
    g = optimize(build_step_graphs(recipec.loads(text, "tanh.recipe")).train)
    ops = _ops(g)           # tanh's derivative reads the pooling gradient: it must exist
    assert "maxpool_winners" not in ops and ops["conv_grad_input"] == 1


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_the_rewritten_step_computes_the_same(name, monkeypatch):
    plain, rewritten = _graphs(name), _graphs(name)     # passes rewrite the values they share
    after = optimize(rewritten.train)
    monkeypatch.setattr(winners_pass, "MIN_ROW", 10 ** 9)      # no convolution qualifies
    before = optimize(plain.train)
    assert "maxpool_winners" in _ops(after) and "maxpool_winners" not in _ops(before)
    rng = np.random.default_rng(0)
    shape = (5,) + tuple(plain.train.inputs[0].shape[1:])
    feeds = {"x": rng.standard_normal(shape).astype(np.float32),
             "y": rng.integers(0, 3, 5).astype(np.int64), "lr": np.float32(0.05),
             "step": np.int64(0), "seed": np.int64(3)}
    results = []
    for graphs, g in ((plain, before), (rewritten, after)):
        state = TrainState.fresh(graphs, seed=3)          # the same initial weights each time
        out = run_graph(g, {**feeds, **state.named(graphs)}, graphs.hypers)
        results.append((out["loss"], state.named(graphs)))
    (loss_a, state_a), (loss_b, state_b) = results
    np.testing.assert_allclose(loss_b, loss_a, rtol=1e-6)
    for key in state_a:
        np.testing.assert_allclose(state_b[key], state_a[key], rtol=1e-5, atol=1e-7, err_msg=key)


# -- compiled kernels against the interpreter ---------------------------------------------------
@each_recipe(RECIPES, ["strided_overlapping"])
def test_compiled_winner_steps_match_reference(name, all_parallel, monkeypatch):
    if all_parallel:
        force_parallel(monkeypatch)
    program = recipec.compile(recipec.loads(RECIPES[name], f"{name}.recipe"))
    assert "conv_grad_weight_winners" in _ops(program.graphs.train)
    batch, steps = 8, 3
    x, y = random_batches(program, batch * steps, np.random.default_rng(1))
    assert_steps_match_reference(program, x, y, batch, steps)


@pytest.mark.parametrize("relu_mask", [False, True])
@pytest.mark.parametrize("size,window,stride", [((6, 6), 2, 2), ((7, 9), 2, 2), ((7, 8), 3, 2)])
def test_winners_kernel_on_ties_and_odd_sizes(size, window, stride, relu_mask):
    """The library's winner search (2x2 copy and the general one) against the reference."""
    from recipec.compiler.lower import load_source
    from recipec.compiler.lower.cpu import module as cpu
    from recipec.compiler.lower.cpu.emitters.conv import GEOMETRY

    library = load_source(cpu.emit_library(True), "cpu", kind="lib").module
    library.require("maxpool_winners")
    rng = np.random.default_rng(1)
    x = rng.integers(-1, 3, (3, 2) + size).astype(np.float32)
    if relu_mask:
        x = np.maximum(x, 0)
    ho, wo = (size[0] - window) // stride + 1, (size[1] - window) // stride + 1
    dy = rng.standard_normal((3, 2, ho, wo)).astype(np.float32)
    sizes = dict(B=3, C=2, H=size[0], W=size[1], F=2, HO=ho, WO=wo, KH=window, KW=window,
                 SH=stride, SW=stride)
    geom = np.array([sizes.get(k, 0) for k in GEOMETRY], np.int64)
    pos, g = np.full(dy.shape, -1, np.int64), np.full_like(dy, np.nan)
    library.maxpool_winners(x, dy, pos, g, geom, relu_mask)
    want_pos, want_g = get_op("maxpool_winners").reference(
        x, dy, size=(window, window), stride=(stride, stride), relu=relu_mask)
    np.testing.assert_array_equal(pos, want_pos)
    np.testing.assert_array_equal(g, want_g)
