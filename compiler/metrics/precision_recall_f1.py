"""precision, recall and f1 of the arg-max predictions, averaged over classes as
scikit-learn's precision_recall_fscore_support does: `macro` (each class alike), `micro`
(every row alike: all three equal accuracy for single-label data) or `weighted` (by each
class's count of true rows). A class never predicted has precision 0 (sklearn's
zero_division default). Per-class values go to the report."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from . import CLASS_TASKS, MetricDef, confusion_matrix, register

AVERAGE = Opt("average", "enum", "macro", positional=True, choices=("macro", "micro", "weighted"))


def _per_class(outputs, y):
    counts = confusion_matrix(outputs, y).astype(np.float64)
    hits = np.diag(counts)
    predicted, actual = counts.sum(axis=0), counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, hits / predicted, 0.0)
        recall = np.where(actual > 0, hits / actual, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return {"precision": precision, "recall": recall, "f1": f1}, hits, predicted, actual


def _averaged(which):
    def formula(outputs, y, loss, options):
        per, hits, predicted, actual = _per_class(outputs, y)
        average = options["average"]
        if average == "micro":      # pooled counts: every row is one prediction
            return float(hits.sum() / max(1.0, actual.sum()))
        if average == "weighted":
            return float((per[which] * actual).sum() / max(1.0, actual.sum()))
        # macro over the classes that occur (as sklearn: the labels in y or in the predictions)
        present = (actual > 0) | (predicted > 0)
        return float(per[which][present].mean()) if present.any() else 0.0
    return formula


def _details(which):
    return lambda outputs, y, options: [float(v) for v in _per_class(outputs, y)[0][which]]


for _name in ("precision", "recall", "f1"):
    register(MetricDef(
        _name, _averaged(_name), tasks=CLASS_TASKS, opts=(AVERAGE,),
        label=lambda o, n=_name: n if o["average"] == "macro" else f"{n}_{o['average']}",
        details=_details(_name), higher_is_better=True,
        doc=f"{_name} of the arg-max class, averaged: macro | micro | weighted"))
