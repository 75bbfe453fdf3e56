"""Every metric against scikit-learn's on the same predictions: random logits and labels,
every averaging, ties, absent classes; and the run prints the confusion matrix and keeps
per-class values in the report."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as sk

from recipec.compiler.metrics import METRICS, confusion_matrix

RNG = np.random.default_rng(0)


def logits(n=200, k=4, ties=False):
    out = RNG.standard_normal((n, k)).astype(np.float32)
    if ties:                       # coarse values: many ties between classes
        out = np.round(out).astype(np.float32)
    return out


def value(name, outputs, y, **options):
    metric = METRICS[name]
    full = {o.name: o.default for o in metric.opts} | options
    return metric.formula(outputs, y, None, full)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_is_sklearns(ties, k):
    out, y = logits(ties=ties), RNG.integers(0, 4, 200)
    assert value("top_k", out, y, k=k) == pytest.approx(
        sk.top_k_accuracy_score(y, out, k=k, labels=range(4)), abs=1e-12)


@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
@pytest.mark.parametrize("name", ["precision", "recall", "f1"])
@pytest.mark.parametrize("absent", [False, True])
def test_precision_recall_f1_are_sklearns(name, average, absent):
    out, y = logits(k=5), RNG.integers(0, 5, 200)
    if absent:               # class 4 neither occurs nor is predicted; class 3 never predicted
        y = np.where(y == 4, 0, y)
        out[:, 4] = -10
        out[:, 3] = -9
    want = {"precision": sk.precision_score, "recall": sk.recall_score,
            "f1": sk.f1_score}[name](y, out.argmax(1), average=average, zero_division=0)
    assert value(name, out, y, average=average) == pytest.approx(want, abs=1e-12)


def test_per_class_details_are_sklearns():
    out, y = logits(n=150, k=3), RNG.integers(0, 3, 150)
    p, r, f, _ = sk.precision_recall_fscore_support(y, out.argmax(1), labels=range(3),
                                                    zero_division=0)
    for name, want in (("precision", p), ("recall", r), ("f1", f)):
        np.testing.assert_allclose(METRICS[name].details(out, y, {"average": "macro"}), want)
    assert confusion_matrix(out, y).tolist() == sk.confusion_matrix(
        y, out.argmax(1), labels=range(3)).tolist()


@pytest.mark.parametrize("ties", [False, True])
def test_auc_is_sklearns(ties):
    out, y = logits(n=300, k=2, ties=ties), RNG.integers(0, 2, 300)
    # the rank of p(class 1) is that of z1 - z0; with ties, give sklearn the exact difference
    score = (out[:, 1].astype(np.float64) - out[:, 0]) if ties else \
        np.exp(out[:, 1]) / np.exp(out).sum(axis=1)
    assert value("auc", out, y) == pytest.approx(sk.roc_auc_score(y, score), abs=1e-12)
    assert np.isnan(value("auc", out, np.zeros(300, np.int64)))


@pytest.mark.parametrize("columns", [1, 3])
def test_regression_metrics_are_sklearns(columns):
    y = RNG.standard_normal((100, columns)).astype(np.float32)
    out = (y + 0.3 * RNG.standard_normal((100, columns))).astype(np.float32)
    # sklearn sums float32 inputs in float32; recipec in float64
    y64, out64 = y.astype(np.float64), out.astype(np.float64)
    assert value("mse", out, y) == pytest.approx(sk.mean_squared_error(y64, out64), rel=1e-12)
    assert value("mae", out, y) == pytest.approx(sk.mean_absolute_error(y64, out64), rel=1e-12)
    assert value("r2", out, y) == pytest.approx(sk.r2_score(y64, out64), rel=1e-12)
    constant = np.ones((4, 1), np.float32)
    assert value("r2", constant, constant) == sk.r2_score(constant, constant) == 1.0


@pytest.mark.cpu
def test_the_run_prints_the_confusion_matrix_and_reports_per_class_values(tmp_path):
    from hostile import cli
    (tmp_path / "r.recipe").write_text("""
        data { source = iris  normalize = standard  validation = 0.3 }
        model { input [4] dense(3) }
        loss = cross_entropy
        optimizer = adam(lr = 0.05)
        train { epochs = 20  batch = 16 }
        metrics = [accuracy, f1(weighted), top_k(2), confusion]
    """)
    out = cli("run", str(tmp_path / "r.recipe"), "--report", str(tmp_path / "r.json"),
              "--quiet")
    assert out.code == 0, out.err
    assert "f1_weighted" in out.out and "top_2" in out.out
    assert "confusion (validation; rows: true class, columns: predicted)" in out.out
    report = json.loads((tmp_path / "r.json").read_text())
    matrix = report["details"]["validation"]["confusion"]
    assert sum(map(sum, matrix)) == 45 and len(matrix) == 3
    assert len(report["details"]["validation"]["f1_weighted"]) == 3
    assert report["history"][-1]["lr"] == pytest.approx(0.05)
