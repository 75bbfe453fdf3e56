"""Softmax cross-entropy from logits against integer class labels (mean over the rows)."""
from __future__ import annotations

import numpy as np

from ..tasks import CLASSIFICATION, log_softmax
from . import LossDef, register


def _check_output(out, options):
    if len(out) == 1 and out[0] >= 2:
        return None
    return (f"cross_entropy needs the model to output one score per class, shape [C] with "
            f"C >= 2; the model outputs {list(out)}",
            "end the model with `dense(C)`, C = number of classes")


def _value(outputs: np.ndarray, y: np.ndarray, options) -> float:
    return float(-log_softmax(outputs)[np.arange(len(y)), y].mean())


register(LossDef(
    "cross_entropy", CLASSIFICATION,
    build=lambda g, logits, y, options: g.add("softmax_ce", logits, y),
    value=_value, check_output=_check_output, logits_of="softmax",
    doc="softmax cross-entropy from logits, integer labels"))
