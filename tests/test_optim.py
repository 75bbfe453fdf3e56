"""Optimizers: the reference formulas, the registry's rows (one per optimizer, compiled against
the interpreter), and the wiring of options and per-parameter multipliers as run-time inputs."""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from oracle import HEADER, assert_steps_match_reference, force_parallel, random_batches
from recipec.compiler import catalog
from recipec.compiler.ops import get_op
from recipec.compiler.optimizers import OPTIMIZERS
from recipec.compiler.step import build_step_graphs

F64 = np.float64


def test_sgd_momentum_nesterov_matches_pytorch_formula():
    rng = np.random.default_rng(0)
    p, g, v = (rng.standard_normal(5).astype(np.float32) for _ in range(3))
    p0, v0 = p.copy(), v.copy()
    # inputs: param, grad, velocity, lr, lr_mult, decay_mult, weight_decay, momentum
    get_op("sgd_update").reference(p, g, v, np.float32(0.1), F64(2.0), F64(1.0), F64(0.01),
                                   F64(0.9), velocity=True, nesterov=True)
    d = g + 0.01 * p0
    v1 = 0.9 * v0 + d
    np.testing.assert_allclose(v, v1, rtol=1e-6)
    np.testing.assert_allclose(p, p0 - 0.2 * (d + 0.9 * v1), rtol=1e-6)


def test_adam_matches_pytorch_formula():
    rng = np.random.default_rng(1)
    p, g = (rng.standard_normal(6).astype(np.float32) for _ in range(2))
    m, v = np.zeros(6, np.float32), np.zeros(6, np.float32)
    p0 = p.copy()
    # inputs: param, grad, m, v, lr, step, lr_mult, decay_mult, weight_decay, beta1, beta2, eps
    get_op("adam_update").reference(p, g, m, v, np.float32(1e-3), np.int64(0), F64(1.0),
                                    F64(1.0), F64(0.0), F64(0.9), F64(0.999), F64(1e-8))
    # first step of Adam moves every weight by lr * sign(g) (up to eps)
    np.testing.assert_allclose(p, p0 - 1e-3 * np.sign(g), rtol=1e-4)


# One row per registered optimizer: a call setting every option away from its default.
ROWS = {
    "sgd": "sgd(lr = 0.1, momentum = 0.8, nesterov = true, weight_decay = 1e-3)",
    "adam": "adam(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weight_decay = 1e-3)",
    "adamw": "adamw(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weight_decay = 0.1)",
    "rmsprop": "rmsprop(lr = 0.005, alpha = 0.9, eps = 1e-6, momentum = 0.7, centered = true, "
               "weight_decay = 1e-3)",
    "adagrad": "adagrad(lr = 0.05, lr_decay = 0.1, eps = 1e-6, initial_accumulator = 0.2, "
               "weight_decay = 1e-3)",
    "nadam": "nadam(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weight_decay = 1e-3, "
             "momentum_decay = 0.05)",
}
# Further rows whose structure differs (other slots, another branch of the kernel); they are
# compiled too but need not cover every option.
VARIANTS = {
    "rmsprop-plain": "rmsprop(lr = 0.005, alpha = 0.9)",
    "rmsprop-momentum": "rmsprop(lr = 0.005, momentum = 0.7)",
    "rmsprop-centered": "rmsprop(lr = 0.005, centered = true)",
    "adam-no-decay": "adam(lr = 0.01)",
}


def _row_recipe(call: str) -> str:
    return HEADER + f"""
        model {{ input [5] dense(6, bias_lr_mult = 2, bias_decay_mult = 0.5) relu dense(3) }}
        loss = cross_entropy
        optimizer = {call}
    """


def test_every_optimizer_has_a_row_and_the_checker_knows_it():
    assert set(ROWS) == set(OPTIMIZERS), "adding an optimizer means adding a row to ROWS"
    assert set(catalog.OPTIMIZERS) == set(OPTIMIZERS)
    for name, definition in OPTIMIZERS.items():
        assert catalog.OPTIMIZERS[name].opts == definition.opts


@pytest.mark.parametrize("name", sorted(ROWS))
def test_optimizer_options_are_run_time_inputs(name):
    recipe = recipec.loads(_row_recipe(ROWS[name]), f"{name}.recipe")
    graphs = build_step_graphs(recipe)
    hypers = {h.name: h.value for h in graphs.hypers}
    for option in OPTIMIZERS[name].hypers:
        assert hypers[f"optimizer.{option}"] == recipe.optimizer[option]
    slots = OPTIMIZERS[name].slot_specs(recipe.optimizer.options)
    assert [s.name for s in graphs.slots[:len(slots)]] == \
        [f"dense_1.weight:{s.name}" for s in slots]


@pytest.mark.parametrize("name", sorted(ROWS) + sorted(VARIANTS))
def test_optimizer_compiled_steps_match_reference(name):
    call = ROWS.get(name) or VARIANTS[name]
    program = recipec.compile(recipec.loads(_row_recipe(call), f"{name}.recipe"))
    x, y = random_batches(program, 8 * 4, np.random.default_rng(0))
    assert_steps_match_reference(program, x, y, batch=8, steps=4, change_rtol=1e-4)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_optimizer_kernels_in_parallel_blocks_match_reference(name, monkeypatch):
    # blocks of 4 elements: every parameter is updated by several prange iterations
    force_parallel(monkeypatch)
    program = recipec.compile(recipec.loads(_row_recipe(ROWS[name]), f"{name}.recipe"))
    x, y = random_batches(program, 8 * 3, np.random.default_rng(1))
    assert_steps_match_reference(program, x, y, batch=8, steps=3, change_rtol=1e-4)


def test_no_momentum_is_structure_no_velocity_and_no_input():
    text = _row_recipe("sgd(lr = 0.1)")
    graphs = build_step_graphs(recipec.loads(text, "m.recipe"))
    assert graphs.slots == []
    assert "optimizer.momentum" not in {h.name for h in graphs.hypers}


def test_layer_multipliers_reach_the_update_ops():
    text = """
    data { source = iris() }
    model { input [4] dense(3, bias_lr_mult = 2, bias_decay_mult = 0, lr_mult = 0.5) }
    loss = cross_entropy
    optimizer = sgd(lr = 0.01, momentum = 0.9, weight_decay = 5e-4)
    train { epochs = 1 }
    """
    graphs = build_step_graphs(recipec.loads(text, "m.recipe"))
    values = {h.name: h.value for h in graphs.hypers}
    # sgd_update inputs: param, grad, velocity, lr, lr_mult, decay_mult, weight_decay, momentum
    updates = {n.inputs[0].name: [v.name for v in n.inputs[4:]]
               for n in graphs.train.nodes if n.op == "sgd_update"}
    assert updates["dense_1.weight"] == ["model.dense_1.lr_mult", "model.dense_1.decay_mult",
                                         "optimizer.weight_decay", "optimizer.momentum"]
    assert updates["dense_1.bias"][:2] == ["model.dense_1.bias_lr_mult",
                                           "model.dense_1.bias_decay_mult"]
    assert values["model.dense_1.lr_mult"] == 0.5
    assert values["model.dense_1.bias_lr_mult"] == 2.0
    assert values["model.dense_1.bias_decay_mult"] == 0.0
    assert values["optimizer.weight_decay"] == 5e-4
