"""The example recipes really train: accuracy on held-out data, and bitwise determinism."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import recipec

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def _trained(name, overrides=()):
    program = recipec.compile(recipec.load(RECIPES / name, overrides))
    program.fit()
    return program


def test_iris_reaches_093_held_out():
    program = _trained("iris_mlp.recipe")
    assert program.evaluate("validation")["accuracy"] >= 0.93


def test_digits_reaches_097_held_out():
    program = _trained("digits_mlp.recipe")
    assert program.evaluate("validation")["accuracy"] >= 0.97


def test_same_seed_gives_bitwise_identical_weights():
    a = _trained("digits_mlp.recipe", ["train.epochs=3"])
    b = _trained("digits_mlp.recipe", ["train.epochs=3"])
    for x, y in zip(a.state.params + a.state.slots, b.state.params + b.state.slots):
        assert np.array_equal(x, y)
    c = _trained("digits_mlp.recipe", ["train.epochs=3", "train.seed=1"])
    assert not np.array_equal(a.state.params[0], c.state.params[0])


def test_kernels_refuse_arguments_of_the_wrong_kind():
    """The kernels are C entry points with fixed argument types: a wrong dtype, rank or layout
    is a TypeError naming the argument, never a crash."""
    program = _trained("iris_mlp.recipe", ["train.epochs=1"])
    x = np.zeros((4, 4), np.float32)
    out = np.zeros((4, 3), np.float32)
    state = [*program.state.params, *program.state.stats]
    kernel = program.executable.module.predict_chunk
    hypers = program.executable.hypers

    def predict(x, out, state):
        kernel(x, np.arange(4), 0, 1, 4, hypers, out, 1, *state)

    predict(x, out, state)           # the right kinds
    with pytest.raises(TypeError, match="X must be a C-contiguous float32"):
        predict(x.astype(np.float64), out, state)
    with pytest.raises(TypeError, match="out must be"):
        predict(x, np.zeros((3, 4), np.float32).T, state)
    with pytest.raises(TypeError, match="takes"):
        predict(x, out, [])


def test_predict_returns_probabilities_for_raw_inputs():
    program = _trained("iris_mlp.recipe", ["train.epochs=5"])
    from sklearn.datasets import load_iris

    x = load_iris().data[:7]
    probs = program.predict(x)
    assert probs.shape == (7, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_prediction_kernel_compiles_ahead_in_a_helper_process(tmp_path, monkeypatch):
    """On a cold cache the helper process puts predict_chunk into the machine-code cache while
    this process compiles train_chunk; this process then loads it rather than compiling it."""
    from recipec.compiler.lower.cpu import helper

    monkeypatch.setenv("RECIPEC_CACHE_DIR", str(tmp_path))
    # a model no other test compiles, so that this process has not imported its kernels yet
    program = recipec.compile(recipec.loads(
        "data { source = iris() }\nmodel { input [4] dense(13) tanh dense(3) }\n"
        "loss = cross_entropy\noptimizer = sgd(lr = 0.1)\ntrain { epochs = 1 batch = 16 }\n",
        "ahead.recipe"))
    kernels = program.executable.kernels
    assert not helper.cached(kernels.path, "predict_chunk")
    process = helper.start([kernels.library, kernels.path], ["predict_chunk"],
                           stderr=subprocess.PIPE)
    assert process is not None
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()[-3000:]
    assert helper.cached(kernels.path, "predict_chunk")
    program.warm_up()                   # loads predict_chunk from the cache the helper wrote
    assert program.executable.from_cache == {"train_chunk": False, "predict_chunk": True}


def _same_state(a, b):
    assert a.state.step == b.state.step and a.state.epoch == b.state.epoch
    for x, y in zip(a.state.params + a.state.slots, b.state.params + b.state.slots):
        assert np.array_equal(x, y)


# dropout masks keyed on the step and a learning rate halved every epoch: a second fit that
# restarted the step counter or the schedule would not match
HALVING = ["schedule=step(every = 1 epochs, gamma = 0.5)"]


def test_fit_trains_more_each_time_two_fits_equal_one_twice_as_long():
    """fit() and fit(epochs=N) mean "N more", as Keras's fit: a second fit() trains the
    recipe's epochs again, from where the first stopped."""
    twice = recipec.compile(recipec.load(RECIPES / "digits_mlp.recipe",
                                         ["train.epochs=1", *HALVING]))
    first = twice.fit()
    second = twice.fit()
    assert first.steps == second.steps == 45 and [r.epoch for r in second.epochs] == [2]
    once = recipec.compile(recipec.load(RECIPES / "digits_mlp.recipe",
                                        ["train.epochs=1", *HALVING]))
    once.fit(epochs=2)
    _same_state(twice, once)
    twice.fit(epochs=1)
    once.fit(epochs=1)
    _same_state(twice, once)
    assert once.state.step == 135 and once.state.epoch == 3


def test_fit_steps_add_up_across_calls_and_epochs():
    split = recipec.compile(recipec.load(RECIPES / "digits_mlp.recipe", HALVING))
    split.fit(steps=3)
    split.fit(steps=2)
    split.fit(steps=44)                 # across the end of the first epoch (45 steps)
    whole = recipec.compile(recipec.load(RECIPES / "digits_mlp.recipe", HALVING))
    whole.fit(steps=49)
    _same_state(split, whole)
    assert whole.state.step == 49 and whole.state.epoch == 1
