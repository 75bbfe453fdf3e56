"""Metrics a recipe's `metrics = [...]` may list, computed over a whole split's outputs.

A metric is added in one file of this package: its `MetricDef` names the tasks it is
meaningful for (the checker reports any other as an E304), its options (`top_k(k = 5)`,
`f1(average = weighted)`) and gives its numpy formula. The rows are plain numpy so the
checker reads them without the runtime; every module of this package is imported below, so a
new file registers itself. Classification formulas see the logits; the class with the
highest logit is the prediction. A binary model's one logit z is seen as the two class
scores [-z/2, z/2] (tasks.class_scores): class 1 where z > 0.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..options import Choice, Opt
from ..tasks import BINARY, CLASSIFICATION, TASKS, Task, class_scores

# the tasks whose rows are classes (the classification metrics apply to both)
CLASS_TASKS = (CLASSIFICATION, BINARY)

# the recipe's own loss over a split, (outputs, y) -> mean loss; the `loss` metric is this
LossValue = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class MetricDef:
    name: str
    # formula(outputs [N, *out], y [N, ...], loss, options) -> float, in float64 numpy;
    # None for a metric that is only a table (confusion)
    formula: Callable[[np.ndarray, np.ndarray, LossValue, dict], float] | None
    tasks: tuple[Task, ...] | None = None      # None: meaningful for every task
    doc: str = ""
    opts: tuple[Opt, ...] = ()
    # the key it is reported under, from its checked options (`top_5`, `f1_weighted`)
    label: Callable[[dict], str] | None = None
    # per-class values or a matrix for the report: (outputs, y, options) -> JSON-able
    details: Callable[[np.ndarray, np.ndarray, dict], Any] | None = None
    # (model output shape) -> why this metric cannot apply to it, or None (auc: 2 classes)
    check_output: Callable[[tuple[int, ...]], str | None] | None = None
    # for a monitor's `mode = auto` (early stopping, plateau): does larger mean better?
    higher_is_better: bool = False

    def applies(self, task: Task) -> bool:
        return self.tasks is None or task in self.tasks

    @property
    def choice(self) -> Choice:
        return Choice(self.name, self.opts, self.doc)

    def key(self, options: dict) -> str:
        return self.label(options) if self.label is not None else self.name


def metric_key(call) -> str:
    """The name a checked metric call is reported under."""
    return METRICS[call.kind].key(dict(call.options))


def confusion_matrix(outputs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """counts[true class, predicted class] over every class the model scores."""
    outputs = class_scores(outputs)
    k = outputs.shape[1]
    predicted = outputs.argmax(axis=1)
    return np.bincount(np.asarray(y, np.int64) * k + predicted, minlength=k * k).reshape(k, k)


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
