"""Metrics computed from a whole split's model outputs (once per evaluation, vectorised).

The formulas are the rows of `compiler/metrics/`; the loss comes from the recipe's `LossDef`.
"""
from __future__ import annotations

import numpy as np

from ..compiler.metrics import METRICS, LossValue
from ..compiler.tasks import log_softmax, softmax

__all__ = ["evaluate_outputs", "log_softmax", "softmax"]


def evaluate_outputs(outputs: np.ndarray, y: np.ndarray, loss: LossValue,
                     metrics: tuple) -> dict[str, float]:
    """{"loss": ..., then each listed metric (checked calls) by its key}; the loss is always
    reported, first; table-only metrics (confusion) are in `metric_details`."""
    out = {"loss": float(loss(outputs, y))}
    for call in metrics:
        metric = METRICS[call.kind]
        if metric.formula is not None and call.kind != "loss":
            out[metric.key(dict(call.options))] = float(
                metric.formula(outputs, y, loss, dict(call.options)))
    return out


def metric_details(outputs: np.ndarray, y: np.ndarray, metrics: tuple) -> dict:
    """Per-class values and matrices of the metrics that have them, by metric key."""
    out = {}
    for call in metrics:
        metric = METRICS[call.kind]
        if metric.details is not None:
            out[metric.key(dict(call.options))] = metric.details(outputs, y,
                                                                 dict(call.options))
    return out
