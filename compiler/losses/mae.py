"""Mean absolute error over every element of a flat model output [k]: torch's L1Loss
(reduction='mean'); its gradient at an exact hit is 0, as torch's."""
from __future__ import annotations

import numpy as np

from ..tasks import REGRESSION
from . import LossDef, register
from .mse import _check_output


def _value(outputs: np.ndarray, y: np.ndarray, options) -> float:
    return float(np.abs(outputs.astype(np.float64) - y).mean())


register(LossDef(
    "mae", REGRESSION,
    build=lambda g, outputs, y, options, hyper: g.add("mae", outputs, y),
    value=_value, check_output=lambda out, options: _check_output(out, options, "mae"),
    doc="mean absolute error (L1)"))
