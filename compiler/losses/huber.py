"""huber(delta = 1.0): torch's HuberLoss (reduction='mean') over every element of a flat
model output [k]: 0.5 e^2 where |e| < delta, else delta (|e| - delta / 2), e = output - target.
`delta` (> 0) is a run-time input (`loss.delta`)."""
from __future__ import annotations

import numpy as np

from ..options import Opt
from ..tasks import REGRESSION
from . import LossDef, register
from .mse import _check_output


def _value(outputs: np.ndarray, y: np.ndarray, options) -> float:
    e = np.abs(outputs.astype(np.float64) - y)
    delta = float(options.get("delta", 1.0))
    return float(np.where(e < delta, 0.5 * e * e, delta * (e - 0.5 * delta)).mean())


register(LossDef(
    "huber", REGRESSION,
    build=lambda g, outputs, y, options, hyper: g.add(
        "huber", outputs, y, hyper("delta", options.get("delta", 1.0))),
    value=_value, check_output=lambda out, options: _check_output(out, options, "huber"),
    opts=(Opt("delta", "float", 1.0, min=0.0, min_inclusive=False, positional=True),),
    doc="Huber loss: quadratic within delta, linear beyond"))
