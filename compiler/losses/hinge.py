"""hinge(margin = 1.0): the multi-class margin loss of torch's MultiMarginLoss (p = 1,
no weight, reduction='mean') from logits [C] and integer labels: per row
sum over j != y of max(0, margin - x_y + x_j) / C, averaged over the rows. predict() gives
the softmax of the scores, as for cross_entropy (the arg-max is the predicted class).
`margin` (> 0) is a run-time input (`loss.margin`)."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from ..tasks import CLASSIFICATION
from . import LossDef, register


def _check_output(out, options):
    if len(out) == 1 and out[0] >= 2:
        return None
    return (f"hinge needs the model to output one score per class, shape [C] with C >= 2; "
            f"the model outputs {list(out)}",
            "end the model with `dense(C)`, C = number of classes")


def _value(outputs: np.ndarray, y: np.ndarray, options) -> float:
    x = outputs.astype(np.float64)
    rows = np.arange(len(y))
    t = np.maximum(float(options.get("margin", 1.0)) - x[rows, y][:, None] + x, 0.0)
    t[rows, y] = 0.0
    return float((t.sum(axis=1) / x.shape[1]).mean())


register(LossDef(
    "hinge", CLASSIFICATION,
    build=lambda g, logits, y, options, hyper: g.add(
        "multi_margin", logits, y, hyper("margin", options.get("margin", 1.0))),
    value=_value, check_output=_check_output,
    opts=(Opt("margin", "float", 1.0, min=0.0, min_inclusive=False, positional=True),),
    doc="multi-class margin (hinge) loss, integer labels"))
