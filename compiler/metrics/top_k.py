"""top_k(k = 5): fraction of rows whose label is among the k highest logits (Keras'
top_k_categorical_accuracy; ties ranked as sklearn's top_k_accuracy_score ranks them)."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from ..tasks import CLASSIFICATION
from . import MetricDef, register


def _top_k(outputs, y, loss, options):
    k = min(options["k"], outputs.shape[1])
    # classes ranked before the label: higher logits, and equal ones of a higher index
    # (scikit-learn's top_k_accuracy_score: a stable ascending sort, reversed)
    labels = np.asarray(y, np.int64)[:, None]
    mine = np.take_along_axis(outputs, labels, axis=1)
    later = np.arange(outputs.shape[1])[None, :] > labels
    before = (outputs > mine) | ((outputs == mine) & later)
    return float((before.sum(axis=1) < k).mean())


register(MetricDef(
    "top_k", _top_k, tasks=(CLASSIFICATION,), opts=(Opt("k", "int", 5, min=1, positional=True),),
    label=lambda o: f"top_{o['k']}",
    doc="fraction of rows whose label is among the k highest logits"))
