"""The test oracle in one place: compiled kernels against the numpy reference interpreter.

Used by the backend, convolution and augmentation tests, which differ only in the recipes.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

from recipec.compiler.interpret import run_graph


# the data and train sections of the test recipes (their data is fed directly, never loaded)
HEADER = 'data { source = npz("unused.npz") }\ntrain { epochs = 1 batch = 8 seed = 3 }\n'


def force_parallel(monkeypatch) -> None:
    """Emit every loop as prange, update parameters in tiny parallel blocks and run
    convolutions in chunks of 3 samples (a batch of 8: 3 + 3 + 2), whatever the sizes: the
    test recipes are far below the thresholds and chunk sizes used normally."""
    from recipec.compiler.lower.cpu import njit_options
    from recipec.compiler.lower.cpu.emitters import conv as conv_lower, optim

    monkeypatch.setattr(njit_options, "PARALLEL_MIN_ELEMENTS", 0)
    monkeypatch.setattr(optim, "BLOCK", 4)
    monkeypatch.setattr(conv_lower, "DW_CHUNK", 3)
    monkeypatch.setattr(conv_lower, "DX_CHUNK", 3)
    monkeypatch.setattr(conv_lower, "FWD_CHUNK", 3)


def each_recipe(names, all_parallel_too=()):
    """Parametrizes a test over recipe `names` (arguments `name`, `all_parallel`), each with
    the default emission, and those in `all_parallel_too` once more under force_parallel."""
    cases = [(n, False) for n in sorted(names)] + [(n, True) for n in all_parallel_too]
    return pytest.mark.parametrize(
        "name,all_parallel", cases,
        ids=[f"{n}-{'all-parallel' if p else 'default'}" for n, p in cases])


def random_batches(program, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """n samples of the model's input shape and matching labels (or regression targets)."""
    model = program.recipe.model
    x = rng.standard_normal((n,) + tuple(model.input_shape)).astype(np.float32)
    if program.graphs.task.class_labels:
        classes = program.graphs.task.classes_of(model.output_shape)
        y = rng.integers(0, classes, n).astype(np.int64)
    else:
        y = rng.standard_normal((n,) + tuple(model.output_shape)).astype(np.float32)
    return x, y


def hyper_feeds(program) -> dict[str, np.float64]:
    """The run-time hyperparameters as the compiled step reads them now (set_hypers included)."""
    return {h.name: value for h, value in zip(program.graphs.hypers, program.executable.hypers)}


def assert_steps_match_reference(program, x, y, batch: int, steps: int, lr: float | None = None,
                                 loss_rtol: float = 1e-4, state_rtol: float = 1e-3,
                                 change_rtol: float | None = None):
    """Run `steps` compiled steps from the current state and the same steps through the
    interpreter from a copy of it; losses, parameters, slots and statistics must agree.
    With `change_rtol`, so must each tensor's change over the steps, to that tolerance of its
    largest change: a weight moves by about lr a step, so an update off by some percent can
    hide in the states' tolerance, not in their changes'."""
    reference = copy.deepcopy(program.state)
    start = {k: a.copy() for k, a in reference.named(program.graphs).items()}
    order = np.arange(len(x), dtype=np.int64)
    losses, _ = program.train_steps(x.reshape(len(x), -1), y, order, 0, steps, batch,
                                    steps_per_epoch=steps)
    lr = program.recipe.optimizer["lr"] if lr is None else lr
    for it in range(steps):
        rows = slice(it * batch, (it + 1) * batch)
        feeds = {"x": x[rows], "y": y[rows], "lr": np.float32(lr),
                 "step": np.int64(reference.step + it), "seed": np.int64(reference.seed)}
        feeds.update(reference.named(program.graphs))
        feeds.update(hyper_feeds(program))
        out = run_graph(program.graphs.train, feeds)
        np.testing.assert_allclose(losses[it], out["loss"], rtol=loss_rtol, atol=1e-6,
                                   err_msg=f"loss at step {it}")
    got, want = program.state.named(program.graphs), reference.named(program.graphs)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=state_rtol, atol=1e-5,
                                   err_msg=name)
        if change_rtol is not None:
            change = want[name] - start[name]
            np.testing.assert_allclose(got[name] - start[name], change, rtol=change_rtol,
                                       atol=change_rtol * np.abs(change).max(),
                                       err_msg=f"the change of {name}")
    return losses


def assert_predict_matches_reference(program, x, batch: int = 256):
    pred = program.outputs(x, batch=batch)
    want = run_graph(program.graphs.predict, {"x": x, **program.state.named(program.graphs),
                                              **hyper_feeds(program)})["output"]
    np.testing.assert_allclose(pred, want, rtol=1e-4, atol=1e-5)
