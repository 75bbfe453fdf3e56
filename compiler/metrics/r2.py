"""r2: the coefficient of determination, 1 - SS_res / SS_tot per target column, averaged over
columns (scikit-learn's r2_score, multioutput = uniform_average); a constant column scores 1
when predicted exactly, else 0 (sklearn's force_finite)."""
from __future__ import annotations

import numpy as np

from ..tasks import REGRESSION
from . import MetricDef, register


def _r2(outputs, y, loss, options):
    pred = outputs.astype(np.float64).reshape(len(outputs), -1)
    true = np.asarray(y, np.float64).reshape(len(y), -1)
    residual = np.square(true - pred).sum(axis=0)
    total = np.square(true - true.mean(axis=0)).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(total > 0, 1.0 - residual / total, np.where(residual == 0, 1.0, 0.0))
    return float(score.mean())


register(MetricDef("r2", _r2, tasks=(REGRESSION,),
                   doc="coefficient of determination, averaged over target columns"))
