"""Metrics a recipe's `metrics = [...]` may list, computed over a whole split's outputs.

A metric is added in one file of this package: its `MetricDef` names the tasks it is
meaningful for (the checker reports any other as an E304) and gives its numpy formula. The
rows are plain numpy so the checker reads them without the runtime; every module of this
package is imported below, so a new file registers itself.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..tasks import TASKS, Task

# the recipe's own loss over a split, (outputs, y) -> mean loss; the `loss` metric is this
LossValue = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class MetricDef:
    name: str
    # formula(outputs [N, *out], y [N, ...], loss) -> float, in float64 numpy
    formula: Callable[[np.ndarray, np.ndarray, LossValue], float]
    tasks: tuple[Task, ...] | None = None      # None: meaningful for every task
    doc: str = ""

    def applies(self, task: Task) -> bool:
        return self.tasks is None or task in self.tasks


METRICS: dict[str, MetricDef] = {}


def register(metric: MetricDef) -> MetricDef:
    assert metric.name not in METRICS, f"metric {metric.name} registered twice"
    METRICS[metric.name] = metric
    return metric


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

# a task's default metrics must exist and apply to it, or every recipe without `metrics` breaks
for _task in TASKS.values():
    for _name in _task.default_metrics:
        assert _name in METRICS and METRICS[_name].applies(_task), \
            f"task {_task.name}: default metric {_name} is not a metric of this task"
