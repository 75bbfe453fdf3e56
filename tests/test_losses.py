"""The losses beyond cross_entropy and mse: closed forms in numpy (no torch needed), torch's
own functions on random inputs where torch is installed, the checker's option rules, the
binary task's labels and metrics, and balanced class weights. Nothing here compiles."""
from __future__ import annotations

import numpy as np
import pytest

from hostile import cli, refused, write
from recipec.compiler.check import check_source
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.losses import LOSSES
from recipec.compiler.metrics import METRICS
from recipec.compiler.ops import get_op
from recipec.compiler.tasks import BINARY, class_scores, sigmoid
from recipec.runtime.class_weights import resolve_balanced
from recipec.runtime.data.targets import encode_targets
from recipec.runtime.errors import DataError

RNG = np.random.default_rng(7)


def _ref(op, *args):
    return float(get_op(op).reference(*args))


def _grad(op, *args):
    return get_op(f"{op}_grad").reference(*args, np.float64(1.0))


# ---------------------------------------------------------------- closed forms, no torch

def test_bce_is_stable_and_equals_its_closed_form():
    z = np.array([[0.0], [2.0], [-3.0], [80.0], [-80.0]])
    y = np.array([1, 0, 1, 1, 0])
    # -log sigmoid(0) = log 2; -log(1 - sigmoid(2)) = 2 + log(1 + e^-2); -log sigmoid(-3) =
    # 3 + log(1 + e^-3); the two large logits are right by 1e-35: their terms are ~0
    want = (np.log(2) + 2 + np.log1p(np.exp(-2)) + 3 + np.log1p(np.exp(-3))) / 5
    assert _ref("bce_logits", z, y, 1.0) == pytest.approx(want, rel=1e-12)
    assert LOSSES["binary_cross_entropy"].value(z, y, {"pos_weight": 1.0}) == \
        pytest.approx(want, rel=1e-12)
    # pos_weight multiplies the positive rows only
    want_pw = (2.5 * np.log(2) + 2 + np.log1p(np.exp(-2)) + 2.5 * (3 + np.log1p(np.exp(-3)))) / 5
    assert _ref("bce_logits", z, y, 2.5) == pytest.approx(want_pw, rel=1e-12)
    # an extreme logit on the wrong side costs |z|, without overflow
    assert _ref("bce_logits", np.array([[-1000.0]]), np.array([1]), 1.0) == 1000.0
    g = _grad("bce_logits", z, y, 2.5)
    s = 1 / (1 + np.exp(-z[:, 0]))
    np.testing.assert_allclose(g[:, 0], np.where(y == 1, 2.5 * (s - 1), s) / 5, rtol=1e-12)


def test_mae_and_huber_closed_forms():
    p = np.array([[0.0, 1.0], [3.0, -2.0]])
    t = np.array([[0.5, 1.0], [0.0, 0.0]])
    assert _ref("mae", p, t) == pytest.approx((0.5 + 0 + 3 + 2) / 4)
    np.testing.assert_array_equal(_grad("mae", p, t), [[-0.25, 0.0], [0.25, -0.25]])
    # delta 1: 0.5 * 0.25 (inside), 0, 1 * (3 - 0.5), 1 * (2 - 0.5)
    assert _ref("huber", p, t, 1.0) == pytest.approx((0.125 + 0 + 2.5 + 1.5) / 4)
    np.testing.assert_allclose(_grad("huber", p, t, 1.0), [[-0.125, 0.0], [0.25, -0.25]])
    # delta 4: every error is inside, huber = mse / 2
    assert _ref("huber", p, t, 4.0) == pytest.approx(0.5 * (0.25 + 9 + 4) / 4)


def test_hinge_closed_form():
    x = np.array([[1.0, 0.5, -1.0], [0.0, 2.0, 0.2]])
    y = np.array([0, 2])
    # row 0: max(0, 1 - 1 + 0.5) + max(0, 1 - 1 - 1) = 0.5; row 1: (1 - 0.2 + 0) + (1 - 0.2 + 2)
    want = (0.5 / 3 + (0.8 + 2.8) / 3) / 2
    assert _ref("multi_margin", x, y, 1.0) == pytest.approx(want)
    assert LOSSES["hinge"].value(x, y, {"margin": 1.0}) == pytest.approx(want)
    g = _grad("multi_margin", x, y, 1.0)
    np.testing.assert_allclose(g * 6, [[-1, 1, 0], [1, 1, -2]])


def test_weighted_smoothed_ce_closed_form():
    x = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 1.0]])
    y = np.array([0, 2])
    w = (0.5, 2.0, 3.0)
    eps = 0.3
    nll = -(x - np.log(np.exp(x).sum(axis=1, keepdims=True)))
    rows = [(1 - eps) * w[y[i]] * nll[i, y[i]] + eps / 3 * sum(w[c] * nll[i, c] for c in range(3))
            for i in range(2)]
    want = sum(rows) / (w[0] + w[2])
    assert _ref("softmax_ce_ws", x, y, eps, *w) == pytest.approx(want, rel=1e-12)
    options = {"label_smoothing": eps, "class_weights": w}
    assert LOSSES["cross_entropy"].value(x, y, options) == pytest.approx(want, rel=1e-12)
    # weights all 1, no smoothing: the plain cross-entropy
    assert _ref("softmax_ce_ws", x, y, 0.0, 1.0, 1.0, 1.0) == \
        pytest.approx(_ref("softmax_ce", x, y), rel=1e-12)


# ---------------------------------------------------------------- torch, where installed

def _torch():
    return pytest.importorskip("torch", reason="torch compares the losses with "
                               "torch.nn.functional (pip install torch==2.13.0)")


def _loss_and_grad(fn, x, *rest):
    torch = _torch()
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    loss = fn(xt, *rest)
    loss.backward()
    return float(loss.detach()), xt.grad.numpy()


@pytest.mark.parametrize("pos_weight", [1.0, 0.4, 3.0])
def test_bce_equals_torch(pos_weight):
    torch = _torch()
    z = RNG.standard_normal((32, 1)) * 4
    y = RNG.integers(0, 2, 32)
    want, want_g = _loss_and_grad(lambda t: torch.nn.functional.binary_cross_entropy_with_logits(
        t[:, 0], torch.tensor(y, dtype=torch.float64),
        pos_weight=torch.tensor(pos_weight, dtype=torch.float64)), z)
    assert _ref("bce_logits", z, y, pos_weight) == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(_grad("bce_logits", z, y, pos_weight), want_g, rtol=1e-10)
    assert LOSSES["binary_cross_entropy"].value(z, y, {"pos_weight": pos_weight}) == \
        pytest.approx(want, rel=1e-12)


def test_mae_and_huber_equal_torch():
    torch = _torch()
    p, t = RNG.standard_normal((16, 3)) * 2, RNG.standard_normal((16, 3))
    tt = torch.tensor(t)
    want, want_g = _loss_and_grad(lambda a: torch.nn.functional.l1_loss(a, tt), p)
    assert _ref("mae", p, t) == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(_grad("mae", p, t), want_g, rtol=1e-12)
    for delta in (1.0, 0.3, 2.5):
        want, want_g = _loss_and_grad(
            lambda a: torch.nn.functional.huber_loss(a, tt, delta=delta), p)
        assert _ref("huber", p, t, delta) == pytest.approx(want, rel=1e-12)
        assert LOSSES["huber"].value(p, t, {"delta": delta}) == pytest.approx(want, rel=1e-12)
        np.testing.assert_allclose(_grad("huber", p, t, delta), want_g, rtol=1e-10)


@pytest.mark.parametrize("margin", [1.0, 0.25, 2.0])
def test_hinge_equals_torch_multi_margin(margin):
    torch = _torch()
    x, y = RNG.standard_normal((20, 5)), RNG.integers(0, 5, 20)
    want, want_g = _loss_and_grad(lambda a: torch.nn.functional.multi_margin_loss(
        a, torch.tensor(y), margin=margin), x)
    assert _ref("multi_margin", x, y, margin) == pytest.approx(want, rel=1e-12)
    assert LOSSES["hinge"].value(x, y, {"margin": margin}) == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(_grad("multi_margin", x, y, margin), want_g, rtol=1e-10)


@pytest.mark.parametrize("eps, weights", [(0.1, None), (0.0, (0.2, 1.0, 3.0, 0.7)),
                                          (0.25, (0.2, 1.0, 3.0, 0.7))])
def test_cross_entropy_smoothing_and_weights_equal_torch(eps, weights):
    torch = _torch()
    x, y = RNG.standard_normal((24, 4)) * 2, RNG.integers(0, 4, 24)
    w = None if weights is None else torch.tensor(weights, dtype=torch.float64)
    want, want_g = _loss_and_grad(lambda a: torch.nn.functional.cross_entropy(
        a, torch.tensor(y), weight=w, label_smoothing=eps), x)
    ws = weights or (1.0,) * 4
    assert _ref("softmax_ce_ws", x, y, eps, *ws) == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(_grad("softmax_ce_ws", x, y, eps, *ws), want_g, rtol=1e-10)
    options = {"label_smoothing": eps, "class_weights": weights}
    assert LOSSES["cross_entropy"].value(x, y, options) == pytest.approx(want, rel=1e-12)


# ---------------------------------------------------------------- the checker

def _recipe(loss: str, out: int = 3, metrics: str = "") -> str:
    return (f"data {{ source = iris }}\nmodel {{ input [4] dense({out}) }}\nloss = {loss}\n"
            f"optimizer = sgd(0.1)\ntrain {{ epochs = 1 }}\n{metrics}")


def _codes(text):
    with pytest.raises(RecipeError) as info:
        check_source(text, "r.recipe")
    return [(d.code, d.message, d.hint) for d in info.value.diagnostics]


@pytest.mark.parametrize("loss, code, words", [
    ("cross_entropy(label_smoothing = 1.0)", "E202", "in [0, 1)"),
    ("cross_entropy(label_smoothing = -0.1)", "E202", "in [0, 1)"),
    ("cross_entropy(class_weights = [1, 2])", "E303", "lists 2 weights but the model outputs 3"),
    ("cross_entropy(class_weights = [1, 0, 2])", "E202", "> 0"),
    ("cross_entropy(class_weights = balancd)", "E104", "balancd"),
    ("cross_entropy(class_weights = 2)", "E201", "list of numbers"),
    ("huber(delta = 0)", "E202", "> 0"),
    ("hinge(margin = -1)", "E202", "> 0"),
    ("binary_cross_entropy(pos_weight = 0)", "E202", "> 0"),
    ("binary_cross_entropy", "E303", "shape [1]"),
])
def test_loss_options_are_checked(loss, code, words):
    found = _codes(_recipe(loss, 1 if "pos_weight" in loss else 3))
    assert [c for c, _, _ in found] == [code], found
    assert words in found[0][1]


def test_balanced_hint_and_accepted_forms():
    assert "balanced" in _codes(_recipe("cross_entropy(class_weights = balancd)"))[0][2]
    for loss in ("cross_entropy(class_weights = balanced)",
                 "cross_entropy(label_smoothing = 0.1, class_weights = [1, 2, 0.5])"):
        check_source(_recipe(loss), "r.recipe")


def test_binary_metrics_apply_and_top_k_does_not():
    r = check_source(_recipe("binary_cross_entropy", 1, "metrics = [accuracy, f1, auc, "
                             "confusion, precision(weighted)]"), "r.recipe")
    assert r.metric_names == ("accuracy", "f1", "auc", "confusion", "precision_weighted")
    assert [c for c, _, _ in _codes(_recipe("binary_cross_entropy", 1, "metrics = [top_k(2)]"))] \
        == ["E304"]


def test_binary_model_ending_in_sigmoid_is_E306():
    text = _recipe("binary_cross_entropy", 1).replace("dense(1) }", "dense(1) sigmoid }")
    assert [c for c, _, _ in _codes(text)] == ["E306"]


# ---------------------------------------------------------------- the binary task

def test_binary_metrics_see_the_logit_as_two_scores():
    z = np.array([[1.5], [-0.5], [0.2], [-2.0], [0.0]], np.float32)
    y = np.array([1, 0, 0, 1, 0])
    np.testing.assert_allclose(class_scores(z), np.c_[-z / 2, z / 2])
    # predictions (z > 0): 1, 0, 1, 0, 0 -> 3 of 5 right
    assert METRICS["accuracy"].formula(z, y, None, {}) == 0.6
    assert METRICS["confusion"].details(z, y, {}) == [[2, 1], [1, 1]]
    # sklearn's f1 for class 1: precision 1/2, recall 1/2; macro with class 0's 2/3
    assert METRICS["f1"].formula(z, y, None, {"average": "macro"}) == \
        pytest.approx((2 / 3 + 1 / 2) / 2)
    # ranks of z among positives (1.5, -2.0): 5 and 1 -> U = 6 - 3 = 3 of 2 * 3
    assert METRICS["auc"].formula(z, y, None, {}) == pytest.approx(0.5)
    np.testing.assert_allclose(sigmoid(z)[:, 0], 1 / (1 + np.exp(-z[:, 0].astype(float))),
                               rtol=1e-6)
    assert sigmoid(np.array([[-1000.0], [1000.0]])).tolist() == [[0.0], [1.0]]
    assert float(get_op("count_correct_binary").reference(z, y)) == 3


def test_binary_labels_must_be_zero_or_one():
    y, k, names = encode_targets(np.array(["yes", "no", "yes"]), BINARY, "d.csv")
    assert (y.tolist(), k, names) == ([1, 0, 1], 2, ("no", "yes"))
    with pytest.raises(DataError) as info:
        encode_targets(np.array([0, 1, 2, 1]), BINARY, "d.csv")
    assert info.value.code == "D004" and "label 2 at row 2 is not 0 or 1" in str(info.value)
    with pytest.raises(DataError) as info:
        encode_targets(np.array(["a", "b", "c"]), BINARY, "d.csv")
    assert info.value.code == "D004" and "3 classes" in str(info.value)


def test_run_refuses_binary_labels_beyond_one(tmp_path):
    write(tmp_path, "d.csv", "a,b,y\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n")
    path = write(tmp_path, "r.recipe", 'data { source = csv("d.csv", label = "y") }\n'
                 "model { input [2] dense(1) }\nloss = binary_cross_entropy\n"
                 "optimizer = sgd(0.1)\ntrain { epochs = 1 }\n")
    out = cli("run", path)
    refused(out, "D004", at=(1, 17), mentions=("d.csv", "not 0 or 1"))


# ---------------------------------------------------------------- balanced class weights

class _Graphs:
    def __init__(self, classes):
        from recipec.compiler.build import HyperInfo
        self.loss_options = {"class_weights": "balanced", "label_smoothing": 0.0}
        self.hypers = [HyperInfo("loss.label_smoothing", 0.0)] + [
            HyperInfo(f"loss.class_weights.{c}", 1.0) for c in range(classes)]


class _Data:
    def __init__(self, y):
        self.train = type("Split", (), {"y": np.asarray(y)})()
        self.class_names = None
        self.source = "d.csv"


def test_balanced_weights_are_sklearns():
    y = [0, 0, 0, 0, 1, 1, 2, 0, 1, 0]         # counts 6, 3, 1 over 10 rows
    graphs = _Graphs(3)
    weights = resolve_balanced(graphs, _Data(y))
    # sklearn.utils.class_weight.compute_class_weight("balanced"): n / (k * count)
    np.testing.assert_allclose(weights, [10 / 18, 10 / 9, 10 / 3])
    assert [h.value for h in graphs.hypers] == [0.0, *weights]
    x = RNG.standard_normal((10, 3))
    # the loss `evaluate` reports uses them
    assert LOSSES["cross_entropy"].value(x, np.array(y), graphs.loss_options) == pytest.approx(
        _ref("softmax_ce_ws", x, np.array(y), 0.0, *weights), rel=1e-12)


def test_balanced_needs_every_class_in_training():
    with pytest.raises(DataError) as info:
        resolve_balanced(_Graphs(3), _Data([0, 1, 1, 0]))
    assert info.value.code == "D004" and "class 2" in str(info.value)
