"""Fraction of rows whose highest logit is the label's class (binary: whose logit > 0
says the label)."""
from __future__ import annotations

from ..tasks import class_scores
from . import CLASS_TASKS, MetricDef, register

register(MetricDef(
    "accuracy", lambda outputs, y, loss, options: float(
        (class_scores(outputs).argmax(axis=1) == y).mean()),
    tasks=CLASS_TASKS, higher_is_better=True,
    doc="fraction of rows whose arg-max logit is the label"))
