"""The compiled Numba CPU step against the numpy reference interpreter, on whole recipes.

Together the recipes below use every op and layer: dense (with/without bias, every
initialiser), relu, leaky_relu, sigmoid, tanh, softmax, dropout, flatten, residual, batchnorm;
cross_entropy and mse; sgd (plain, momentum, Nesterov, weight decay) and adam.
"""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.compiler.interpret import run_graph
from recipec.runtime.state import TrainState

HEADER = 'data { source = npz("unused.npz") }\ntrain { epochs = 1 batch = 8 seed = 3 }\n'

RECIPES = {
    "classifier_adam": HEADER + """
        model {
          input [6]
          dense(16, init = xavier) leaky_relu(0.1)
          dropout(0.3)
          residual { dense(16, init = normal) tanh }
          dense(8, init = uniform, lr_mult = 0.5) sigmoid
          dense(3, init = glorot)
        }
        loss = cross_entropy
        optimizer = adam(lr = 0.01, weight_decay = 1e-4)
    """,
    "regressor_nesterov": HEADER + """
        model {
          input [2, 3]
          flatten
          dense(8, init = kaiming) batchnorm(momentum = 0.8) relu
          dense(4, bias = false) softmax
        }
        loss = mse
        optimizer = sgd(lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 1e-3)
    """,
    "classifier_plain_sgd": HEADER + """
        model {
          input [5]
          dense(7, init = he, bias_lr_mult = 2, bias_decay_mult = 0) relu   # Caffe-style
          dense(4, bias_init = zeros)
        }
        loss = cross_entropy
        optimizer = sgd(lr = 0.05, weight_decay = 1e-3)
    """,
}


def _program(name, parallel=None):
    recipe = recipec.loads(RECIPES[name], f"{name}.recipe")
    if parallel is None:
        return recipec.compile(recipe)
    from recipec.compiler.pipeline import compile_recipe
    from recipec.runtime.program import Program

    return Program(recipe, compile_recipe(recipe, parallel=parallel))


def _batch_data(program, n, rng):
    x = rng.standard_normal((n,) + tuple(program.recipe.model.input_shape)).astype(np.float32)
    if program.graphs.task == "classification":
        y = rng.integers(0, program.recipe.model.output_shape[0], n).astype(np.int64)
    else:
        y = rng.standard_normal((n,) + tuple(program.recipe.model.output_shape)).astype(np.float32)
    return x, y


CASES = [(name, None) for name in sorted(RECIPES)] + [("classifier_adam", False)]


@pytest.mark.parametrize("name,parallel", CASES,
                         ids=[f"{n}-{'serial' if p is False else 'default'}" for n, p in CASES])
def test_compiled_steps_match_reference(name, parallel):
    """parallel=False is the kernel the RECIPEC_THREADS=blas layout runs; checked as well."""
    program = _program(name, parallel)
    rng = np.random.default_rng(0)
    batch, steps = 8, 5
    x, y = _batch_data(program, batch * steps, rng)
    flat = x.reshape(len(x), -1)
    reference = TrainState([p.copy() for p in program.state.params],
                           [s.copy() for s in program.state.slots],
                           [s.copy() for s in program.state.stats], seed=program.state.seed)

    order = np.arange(len(x), dtype=np.int64)
    losses, _ = program.train_steps(flat, y, order, 0, steps, batch, steps_per_epoch=steps)

    g = program.graphs.train
    for it in range(steps):
        rows = slice(it * batch, (it + 1) * batch)
        feeds = {"x": x[rows], "y": y[rows], "lr": np.float32(program.recipe.optimizer["lr"]),
                 "step": np.int64(it), "seed": np.int64(reference.seed)}
        feeds.update(reference.named(program.graphs))
        out = run_graph(g, feeds)
        np.testing.assert_allclose(losses[it], out["loss"], rtol=1e-4, atol=1e-6,
                                   err_msg=f"loss at step {it}")
    for info, got, want in zip(program.graphs.params, program.state.params, reference.params):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5, err_msg=info.name)
    for info, got, want in zip(program.graphs.stats, program.state.stats, reference.stats):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6, err_msg=info.name)

    # prediction kernel vs the interpreter on the prediction graph (dropout off)
    pred = program.outputs(x[:11])
    feeds = {"x": x[:11], **program.state.named(program.graphs)}
    want = run_graph(program.graphs.predict, feeds)["output"]
    np.testing.assert_allclose(pred, want, rtol=1e-4, atol=1e-5)


def test_one_compiled_call_runs_many_steps_without_python_dispatch():
    """The hot path: 200 training steps are one call, and Python runs O(1) code meanwhile."""
    import sys

    program = _program("classifier_adam")
    program.warm_up()
    rng = np.random.default_rng(1)
    x, y = _batch_data(program, 8 * 200, rng)
    flat = x.reshape(len(x), -1)
    order = np.arange(len(x), dtype=np.int64)
    before = [p.copy() for p in program.state.params]
    calls = []
    sys.setprofile(lambda frame, event, arg: calls.append(event) if event == "call" else None)
    try:
        losses, _ = program.kernels.train_chunk(
            flat, y, order, 0, 200, 8, np.full(200, 0.01, np.float32), 0, 0,
            np.empty(200, np.float32), np.empty(200, np.int64),
            *program.state.params, *program.state.slots), None
    finally:
        sys.setprofile(None)
    # 200 steps x 5 layers would be >= 1000 Python calls if anything dispatched per layer.
    assert len(calls) < 20, f"{len(calls)} Python-level calls during one compiled chunk"
    assert all(not np.array_equal(a, b) for a, b in zip(before, program.state.params))
    sig = program.kernels.train_chunk.signatures
    assert sig, "train_chunk should be a compiled Numba dispatcher"
