"""Optimizer updates (reference formulas) and the per-parameter multipliers' wiring."""
from __future__ import annotations

import numpy as np

import recipec
from recipec.compiler.ops import get_op
from recipec.compiler.step import build_step_graphs


def test_sgd_momentum_nesterov_matches_pytorch_formula():
    rng = np.random.default_rng(0)
    p, g, v = (rng.standard_normal(5).astype(np.float32) for _ in range(3))
    p0, v0 = p.copy(), v.copy()
    get_op("sgd_update").reference(p, g, v, np.float32(0.1), momentum=0.9, nesterov=True,
                                   weight_decay=0.01, lr_mult=2.0)
    d = g + 0.01 * p0
    v1 = 0.9 * v0 + d
    np.testing.assert_allclose(v, v1, rtol=1e-6)
    np.testing.assert_allclose(p, p0 - 0.2 * (d + 0.9 * v1), rtol=1e-6)


def test_adam_matches_pytorch_formula():
    rng = np.random.default_rng(1)
    p, g = (rng.standard_normal(6).astype(np.float32) for _ in range(2))
    m, v = np.zeros(6, np.float32), np.zeros(6, np.float32)
    p0 = p.copy()
    get_op("adam_update").reference(p, g, m, v, np.float32(1e-3), np.int64(0), beta1=0.9,
                                    beta2=0.999, eps=1e-8, weight_decay=0.0)
    # first step of Adam moves every weight by lr * sign(g) (up to eps)
    np.testing.assert_allclose(p, p0 - 1e-3 * np.sign(g), rtol=1e-4)


def test_layer_multipliers_reach_the_update_ops():
    text = """
    data { source = iris() }
    model { input [4] dense(3, bias_lr_mult = 2, bias_decay_mult = 0, lr_mult = 0.5) }
    loss = cross_entropy
    optimizer = sgd(lr = 0.01, momentum = 0.9, weight_decay = 5e-4)
    train { epochs = 1 }
    """
    graphs = build_step_graphs(recipec.loads(text, "m.recipe"))
    updates = {n.inputs[0].name: n.attrs for n in graphs.train.nodes if n.op == "sgd_update"}
    assert updates["dense_1.weight"]["lr_mult"] == 0.5
    assert updates["dense_1.weight"]["weight_decay"] == 5e-4
    assert updates["dense_1.bias"]["lr_mult"] == 2.0
    assert updates["dense_1.bias"]["weight_decay"] == 0.0
