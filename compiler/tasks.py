"""What kind of prediction a recipe trains for, as implied by its loss (`LossDef.task`).

The IR builder, the data readers, the training loop and `predict()` ask the task what they
need (the labels' dtype and shape, whether rows are classes, how predictions are
post-processed, how the step counts correct rows) instead of comparing loss or task names.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from .ir import BATCH, TensorType

if TYPE_CHECKING:
    from .ir import Graph, Value


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of [N, C] in float64 (max-shifted, so large logits do not overflow)."""
    z = logits.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(logits)).astype(np.float32)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """The probability of class 1 from one logit per row, [N, 1] (stable for large |z|)."""
    z = logits.astype(np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.float32)


def class_scores(outputs: np.ndarray) -> np.ndarray:
    """Per-class scores [N, C] of a classifier's outputs: the logits, or for a binary model's
    one logit z the two columns [-z/2, z/2], whose softmax is [1 - sigmoid(z), sigmoid(z)]
    and whose arg-max is class 1 exactly where z > 0 (the metrics' view of both tasks)."""
    if outputs.ndim == 2 and outputs.shape[1] == 1:
        z = outputs.astype(np.float64) / 2
        return np.concatenate([-z, z], axis=1)
    return outputs


@dataclass(frozen=True)
class Task:
    name: str
    # Labels are class indices 0..C-1 (int64 [N]): the readers encode them as classes (string
    # labels become names), validation splits are stratified, the data knows num_classes.
    # Otherwise labels are float32 targets shaped like the model output.
    class_labels: bool
    # numpy post-processing of raw model outputs for `Program.predict`
    predict: Callable[[np.ndarray], np.ndarray]
    # IR that counts the batch's correctly predicted rows (the training accuracy); None when
    # the task has no notion of a correct row
    correct: Callable[["Graph", "Value", "Value"], "Value"] | None = None
    # metrics reported when the recipe has no `metrics = [...]`
    default_metrics: tuple[str, ...] = ()
    # the number of classes its labels may have (binary: 2, a label outside {0, 1} is a D004);
    # None: as many as the model has outputs
    max_classes: int | None = None
    doc: str = ""

    def classes_of(self, output_shape: tuple[int, ...]) -> int:
        """How many classes a model with this output shape scores."""
        return self.max_classes if self.max_classes is not None else int(output_shape[0])

    @property
    def label_dtype(self) -> str:
        return "int64" if self.class_labels else "float32"

    def label_type(self, output_shape: tuple[int, ...]) -> TensorType:
        """The graph input `y` for a batch: [B] class indices, or [B, *output_shape] targets."""
        per_sample = () if self.class_labels else tuple(output_shape)
        return TensorType((BATCH,) + per_sample, self.label_dtype)

    @property
    def counts_correct(self) -> bool:
        return self.correct is not None


CLASSIFICATION = Task(
    "classification", class_labels=True, predict=softmax,
    correct=lambda g, logits, y: g.add("count_correct", logits, y),
    default_metrics=("accuracy",),
    doc="one of C classes; the model outputs C logits, predict() gives probabilities")
REGRESSION = Task(
    "regression", class_labels=False, predict=lambda outputs: outputs,
    default_metrics=("mae",),
    doc="real-valued targets shaped like the model output; predict() gives the outputs")

BINARY = Task(
    "binary", class_labels=True, predict=sigmoid,
    correct=lambda g, logit, y: g.add("count_correct_binary", logit, y),
    default_metrics=("accuracy",), max_classes=2,
    doc="class 0 or 1; the model outputs one logit, predict() gives sigmoid probabilities "
        "[N, 1]")

TASKS: dict[str, Task] = {t.name: t for t in (CLASSIFICATION, BINARY, REGRESSION)}


def as_task(task: Task | str) -> Task:
    """A Task, or the name of one (the data API also takes `"classification"`)."""
    if isinstance(task, Task):
        return task
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {tuple(TASKS)}")
    return TASKS[task]
