"""The recipe's own loss over the whole split (always reported, listing it is allowed)."""
from __future__ import annotations

from . import MetricDef, register

register(MetricDef("loss", lambda outputs, y, loss, options: float(loss(outputs, y)),
                   doc="the recipe's loss, averaged over the split's rows"))
