"""auc: the area under the ROC curve of a two-class model (scikit-learn's roc_auc_score on
the probability of class 1; for binary_cross_entropy's one logit, of that logit), from the ranks of the score z1 - z0 with ties counted half
(Mann-Whitney U). NaN when the split holds one class only (the area is undefined)."""
from __future__ import annotations

import numpy as np

from ..tasks import class_scores
from . import CLASS_TASKS, MetricDef, register


def _ranks(score: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing their average rank."""
    order = np.argsort(score, kind="mergesort")
    sorted_score = score[order]
    first = np.r_[True, sorted_score[1:] != sorted_score[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(score)]
    mean_rank = (starts + ends + 1) / 2.0          # average of 1-based ranks start+1 .. end
    ranks = np.empty(len(score))
    ranks[order] = mean_rank[group]
    return ranks


def _auc(outputs, y, loss, options):
    scores = class_scores(outputs)          # a binary model's logit z: the score is z
    score = scores[:, 1].astype(np.float64) - scores[:, 0]
    positive = np.asarray(y) == 1
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((_ranks(score)[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


register(MetricDef(
    "auc", _auc, tasks=CLASS_TASKS,
    check_output=lambda out: None if tuple(out) in ((2,), (1,)) else
    f"auc is the ROC area of a two-class model (two logits, or binary_cross_entropy's one); "
    f"this one outputs {list(out)}",
    higher_is_better=True, doc="ROC-AUC of a two-class model (class 1 is positive)"))
