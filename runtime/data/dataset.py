"""The loaded, split and normalized data the training loop consumes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...compiler.tasks import CLASSIFICATION, Task
from .layout import Conversion
from .rows import StoredRows, prepared_bytes


@dataclass
class Split:
    x: np.ndarray | StoredRows   # float32, C-contiguous, [N, *feature_shape]; or, for data
                                 # beyond the memory budget, rows prepared on demand (rows.py)
    y: np.ndarray          # int64 [N] class indices or float32 [N, k] targets (Task.label_dtype)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def streamed(self) -> bool:
        return isinstance(self.x, StoredRows)


@dataclass
class Data:
    train: Split
    validation: Split | None
    test: Split | None                      # from `data { test = ... }` or the source's own split
    feature_shape: tuple[int, ...]          # per sample, after the recipe's reshape/layout
    num_classes: int | None                 # None unless the task has class labels
    class_names: tuple[str, ...] | None
    source: str                             # e.g. "digits (scikit-learn, 1797 rows)"
    norm_shift: np.ndarray | None = None    # float32 [*feature_shape]; x_norm = (x - shift) / scale
    norm_scale: np.ndarray | None = None    # float32 [*feature_shape], never 0
    normalize: str = "none"                 # "none" | "standard" | "minmax" | "per_channel"
    task: Task = CLASSIFICATION             # what the loss implies (compiler/tasks.py)
    scale: float = 1.0                      # raw inputs were multiplied by this before
                                            # normalizing (folded into norm_shift/norm_scale)
    conversion: Conversion | None = None    # stored samples -> feature_shape (layout.py);
                                            # None: stored as feature_shape
    memory_budget: int | None = None        # bytes the prepared splits may take (rows.py)
    cleaning: Any = None                    # cleaning.Cleaning: impute/outliers, fitted on
                                            # the training split; applied before normalizing
    categories: tuple = ()                  # categorical.Category per one-hot encoded column
    notes: tuple[str, ...] = ()             # what the preparation did (rows left out ...)
    feature_names: tuple[str, ...] | None = None  # the source's columns (text ones before
                                            # their one-hot encoding), where it names them

    @property
    def source_shape(self) -> tuple[int, ...]:
        """Per-sample shape as the source stores it: what predict() takes."""
        return self.conversion.stored if self.conversion is not None else self.feature_shape

    @property
    def target_shape(self) -> tuple[int, ...]:
        """Per-sample target shape: () for class labels, (k,) for regression targets."""
        return tuple(self.train.y.shape[1:])

    @property
    def streamed(self) -> bool:
        """True when the splits exceed the memory budget and are read from disk in chunks."""
        return self.train.streamed

    @property
    def prepared_bytes(self) -> int:
        """Bytes of every split prepared as float32 (what the memory budget is held against)."""
        return prepared_bytes(self.num_rows, self.feature_shape)

    @property
    def num_rows(self) -> int:
        return sum(len(s) for s in (self.train, self.validation, self.test) if s is not None)
