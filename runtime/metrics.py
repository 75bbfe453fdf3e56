"""Metrics computed from a whole split's model outputs (once per evaluation, vectorised).

The formulas are the rows of `compiler/metrics/`; the loss comes from the recipe's `LossDef`.
"""
from __future__ import annotations

import numpy as np

from ..compiler.metrics import METRICS, LossValue
from ..compiler.tasks import log_softmax, softmax

__all__ = ["evaluate_outputs", "log_softmax", "softmax"]


def evaluate_outputs(outputs: np.ndarray, y: np.ndarray, loss: LossValue,
                     metrics: tuple[str, ...]) -> dict[str, float]:
    """{"loss": ..., then each listed metric}; the loss is always reported, first."""
    names = ("loss",) + tuple(m for m in metrics if m != "loss")
    return {name: float(METRICS[name].formula(outputs, y, loss)) for name in names}
