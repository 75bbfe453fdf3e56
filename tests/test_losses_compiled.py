"""The compiled training step of each loss against the reference interpreter, sequential and
with every loop parallel; the binary task end to end (sigmoid predictions, training accuracy),
and balanced class weights reaching the compiled step."""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.compiler.tasks import sigmoid
from oracle import HEADER, assert_steps_match_reference, force_parallel, hyper_feeds, \
    random_batches

LOSS_CASES = {      # loss -> the model's last layer
    "binary_cross_entropy(pos_weight = 2.5)": "dense(1)",
    "mae": "dense(2)",
    "huber(delta = 0.4)": "dense(2)",
    "hinge(margin = 0.8)": "dense(4)",
    "cross_entropy(label_smoothing = 0.2)": "dense(4)",
    "cross_entropy(label_smoothing = 0.1, class_weights = [0.5, 2, 1, 3])": "dense(4)",
}


def _program(loss: str):
    text = (HEADER + f"model {{ input [6] dense(5) tanh {LOSS_CASES[loss]} }}\n"
            f"loss = {loss}\noptimizer = sgd(lr = 0.5)\n")
    return recipec.compile(recipec.loads(text, "l.recipe"))


@pytest.mark.parametrize("all_parallel", [False, True], ids=["default", "all-parallel"])
@pytest.mark.parametrize("loss", sorted(LOSS_CASES))
def test_loss_compiled_steps_match_reference(loss, all_parallel, monkeypatch):
    if all_parallel:
        force_parallel(monkeypatch)
    program = _program(loss)
    x, y = random_batches(program, 8 * 4, np.random.default_rng(3))
    assert_steps_match_reference(program, x, y, batch=8, steps=4, change_rtol=1e-4)


def test_loss_options_change_without_compiling():
    program = _program("huber(delta = 0.4)")
    x, y = random_batches(program, 8 * 2, np.random.default_rng(4))
    program.executable.set_hypers({"loss.delta": 0.05})
    assert hyper_feeds(program)["loss.delta"] == 0.05
    assert_steps_match_reference(program, x, y, batch=8, steps=2, change_rtol=1e-4)


def test_binary_task_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    np.savez(tmp_path / "b.npz", x=x, y=y)
    text = ('data { source = npz("b.npz") validation = 0.25 }\n'
            "model { input [3] dense(1) }\nloss = binary_cross_entropy\n"
            "optimizer = sgd(lr = 0.5)\ntrain { epochs = 40 batch = 8 seed = 1 }\n"
            "metrics = [accuracy, auc]\n")
    path = tmp_path / "b.recipe"
    path.write_text(text)
    program = recipec.compile(recipec.load(path))
    history = program.fit()
    # a linearly separable problem: the training accuracy the step counts reaches 1
    assert history.epochs[-1].train["accuracy"] >= 0.95
    metrics = program.evaluate("validation")
    assert metrics["accuracy"] >= 0.9 and metrics["auc"] >= 0.95
    p = program.predict(x[:5])
    assert p.shape == (5, 1)
    np.testing.assert_allclose(p, sigmoid(program.outputs(x[:5])), rtol=1e-6)
    assert ((p > 0.5)[:, 0] == (x[:5, 0] + 0.5 * x[:5, 1] > 0)).mean() >= 0.8


def test_balanced_weights_reach_the_compiled_step(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = np.array([0] * 28 + [1] * 8 + [2] * 4, np.int64)
    np.savez(tmp_path / "c.npz", x=x, y=y)
    path = tmp_path / "c.recipe"
    path.write_text('data { source = npz("c.npz") }\nmodel { input [3] dense(3) }\n'
                    "loss = cross_entropy(class_weights = balanced)\n"
                    "optimizer = sgd(lr = 0.1)\ntrain { epochs = 1 batch = 8 }\n")
    program = recipec.compile(recipec.load(path))
    program.load_data()
    want = [40 / (3 * 28), 40 / (3 * 8), 40 / (3 * 4)]
    feeds = hyper_feeds(program)
    np.testing.assert_allclose([feeds[f"loss.class_weights.{c}"] for c in range(3)], want)
    xs, ys = program.data.train.x.reshape(40, 3), program.data.train.y
    assert_steps_match_reference(program, xs, ys, batch=8, steps=3, change_rtol=1e-4)


def test_recipec_run_prints_and_reports_the_class_weights(tmp_path):
    import json

    from hostile import accepted, cli, write

    path = write(tmp_path, "w.recipe", "data { source = iris() validation = 0.2 }\n"
                 "model { input [4] dense(3) }\nloss = cross_entropy(class_weights = [1, 2, 0.5])\n"
                 "optimizer = sgd(lr = 0.1)\ntrain { epochs = 1 batch = 16 }\n")
    out = cli("run", path, "--report", tmp_path / "r.json")
    accepted(out)
    assert "cross_entropy: class weights setosa 1, versicolor 2, virginica 0.5" in out.err
    assert json.loads((tmp_path / "r.json").read_text())["class_weights"] == [1, 2, 0.5]
