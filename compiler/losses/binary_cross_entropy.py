"""binary_cross_entropy(pos_weight = 1.0): torch's BCEWithLogitsLoss (reduction='mean') from
ONE logit per row (model output [1]) against labels 0/1, in the stable form
pos_weight * y * softplus(-z) + (1 - y) * softplus(z). `pos_weight` (> 0) weights the
positive rows (class 1); it is a run-time input (`loss.pos_weight`). The task is binary:
labels 0/1 (two string classes map to 0/1 by sorted name), predict() gives sigmoid(z) [N, 1],
a row is correct when (z > 0) equals its label."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from ..tasks import BINARY
from . import LossDef, register


def _check_output(out, options):
    if tuple(out) == (1,):
        return None
    return (f"binary_cross_entropy scores one logit per row, shape [1]; the model outputs "
            f"{list(out)}", "end the model with `dense(1)` (for C classes use cross_entropy)")


def _value(outputs: np.ndarray, y: np.ndarray, options) -> float:
    z = outputs.astype(np.float64)[:, 0]
    t = np.asarray(y, np.float64)
    tail = np.log1p(np.exp(-np.abs(z)))
    loss = (float(options.get("pos_weight", 1.0)) * t * (np.maximum(-z, 0) + tail)
            + (1 - t) * (np.maximum(z, 0) + tail))
    return float(loss.mean())


register(LossDef(
    "binary_cross_entropy", BINARY,
    build=lambda g, logit, y, options, hyper: g.add(
        "bce_logits", logit, y, hyper("pos_weight", options.get("pos_weight", 1.0))),
    value=_value, check_output=_check_output, logits_of="sigmoid",
    opts=(Opt("pos_weight", "float", 1.0, min=0.0, min_inclusive=False, positional=True),),
    doc="binary cross-entropy from one logit, labels 0/1 (pos_weight)"))
