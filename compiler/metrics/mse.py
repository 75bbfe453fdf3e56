"""Mean squared error over every target element."""
from __future__ import annotations

import numpy as np

from ..tasks import REGRESSION
from . import MetricDef, register

register(MetricDef(
    "mse", lambda outputs, y, loss, options:
    float(np.square(outputs.astype(np.float64) - y).mean()),
    tasks=(REGRESSION,), doc="mean squared error over every target value"))
