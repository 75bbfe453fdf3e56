"""Fraction of rows whose highest logit is the label's class."""
from __future__ import annotations

from ..tasks import CLASSIFICATION
from . import MetricDef, register

register(MetricDef(
    "accuracy", lambda outputs, y, loss, options: float((outputs.argmax(axis=1) == y).mean()),
    tasks=(CLASSIFICATION,), doc="fraction of rows whose arg-max logit is the label"))
