"""confusion: the matrix of counts[true class, predicted class], printed after the run and kept
in the report; a table, not a number, so it has no value in the metrics line."""
from __future__ import annotations

from . import CLASS_TASKS, MetricDef, confusion_matrix, register

register(MetricDef(
    "confusion", None, tasks=CLASS_TASKS,
    details=lambda outputs, y, options: confusion_matrix(outputs, y).tolist(),
    doc="counts[true class][predicted class], in the report and printed after the run"))
