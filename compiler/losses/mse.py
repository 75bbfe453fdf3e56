"""Mean squared error over every element of a flat model output [k]."""
from __future__ import annotations

import numpy as np

from ..tasks import REGRESSION
from . import LossDef, register


def _check_output(out, options, name="mse"):
    if len(out) == 1:
        return None
    return (f"{name} needs a flat model output [k]; the model outputs {list(out)}",
            "add `flatten` or end the model with `dense(k)`")


def _value(outputs: np.ndarray, y: np.ndarray, options) -> float:
    return float(((outputs.astype(np.float64) - y) ** 2).mean())


register(LossDef(
    "mse", REGRESSION,
    build=lambda g, outputs, y, options, hyper: g.add("mse", outputs, y),
    value=_value, check_output=_check_output, doc="mean squared error"))
