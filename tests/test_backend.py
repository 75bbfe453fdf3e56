"""The compiled Numba CPU step against the numpy reference interpreter, on whole recipes.

Together the recipes below use dense (with/without bias, the initialisers that take no
options), relu, leaky_relu, sigmoid, tanh, softmax, dropout, flatten, residual, batchnorm;
cross_entropy and mse; sgd (plain, momentum, Nesterov, weight decay) and adam. The newer
activations and initialisers have their compiled model in test_activations.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.compiler.lower.cpu import machine_code
from oracle import (HEADER, assert_predict_matches_reference, assert_steps_match_reference,
                    force_parallel, random_batches)


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


CASES = ([(name, None) for name in sorted(RECIPES)] + [("classifier_adam", False)]
         + [(name, "all") for name in sorted(RECIPES)])
NAMES = {None: "default", False: "serial", "all": "all-parallel"}


@pytest.mark.parametrize("name,parallel", CASES, ids=[f"{n}-{NAMES[p]}" for n, p in CASES])
def test_compiled_steps_match_reference(name, parallel, monkeypatch):
    """parallel=False is the kernel the RECIPEC_THREADS=blas layout runs; "all" makes every
    loop a prange (at these tiny sizes the default keeps most loops serial)."""
    if parallel == "all":
        force_parallel(monkeypatch)
        parallel = None
    program = _program(name, parallel)
    x, y = random_batches(program, 8 * 5, np.random.default_rng(0))
    assert_steps_match_reference(program, x, y, batch=8, steps=5)
    assert_predict_matches_reference(program, x[:11])


def test_one_compiled_call_runs_many_steps_without_python_dispatch():
    """The hot path: 200 training steps are one call, and Python runs O(1) code meanwhile."""
    import sys

    program = _program("classifier_adam")
    program.warm_up()
    rng = np.random.default_rng(1)
    x, y = random_batches(program, 8 * 200, rng)
    flat = x.reshape(len(x), -1)
    order = np.arange(len(x), dtype=np.int64)
    before = [p.copy() for p in program.state.params]
    def python_calls(steps: int) -> int:
        calls = []
        with program.executable.session():       # as fit() holds it around its chunks
            sys.setprofile(lambda frame, event, arg:
                           calls.append(event) if event == "call" else None)
            try:
                program.executable.train_chunk(flat, y, order, 0, steps, 8,
                                               np.full(steps, 0.01, np.float32))
            finally:
                sys.setprofile(None)
        return len(calls)

    python_calls(10)                 # anything loaded lazily is loaded now
    few, many = python_calls(10), python_calls(200)
    # 200 steps x 5 layers would be >= 1000 Python calls if anything dispatched per layer; the
    # chunk's own bookkeeping (binding arguments by name) must not grow with the steps.
    assert many == few and many < 100, f"{few} calls for 10 steps, {many} for 200"
    assert all(not np.array_equal(a, b) for a, b in zip(before, program.state.params))
    entry = program.executable.module.train_chunk
    assert isinstance(entry, machine_code.Entry) and entry.from_cache is not None, \
        "train_chunk should be a loaded C entry point"
