"""Training data: read a recipe's `data` source, split it (seeded) and normalize it.

    data = load_data(recipe.data, task="classification", seed=recipe.train.seed,
                     base_dir=Path(recipe.path).parent)
    data.train.x   # float32 [N, *feature_shape]     data.train.y  # int64 [N]
    x_new = apply_normalization(raw_inputs, data)   # same transform for predict()

Every problem with the data itself raises `recipec.runtime.errors.DataError` (codes D001-D004).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .dataset import Data, Split
from .preprocess import (NORMALIZE, apply_normalization, fit_normalization, normalize_array,
                         split_indices)
from .sources import TASKS, RawData, encode_targets, load_csv, load_npz, load_source, load_toy

__all__ = ["Data", "Split", "DataError", "load_data", "apply_normalization", "build_data",
           "load_source", "load_csv", "load_npz", "load_toy", "RawData", "split_indices",
           "fit_normalization", "encode_targets", "NORMALIZE", "TASKS"]


def load_data(spec: Any, task: str, seed: int, base_dir: str | Path = ".") -> Data:
    """Read `spec.source` (a checked DataSpec), split off `spec.validation` and normalize.

    task: "classification" (labels -> int64 0..C-1) or "regression" (targets -> float32 [N, k]).
    Relative csv/npz paths resolve against `base_dir` (the recipe's folder), then the cwd.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    raw = load_source(spec.source, task, base_dir)
    return build_data(raw, task, seed, validation=float(spec.validation),
                      normalize=str(spec.normalize))


def build_data(raw: RawData, task: str, seed: int, *, validation: float = 0.0,
               normalize: str = "none") -> Data:
    """Split and normalize already-read data (deterministic for a given seed)."""
    if normalize not in NORMALIZE:
        raise ValueError(f"unknown normalization {normalize!r}; expected one of {NORMALIZE}")
    tr, va = split_indices(raw.y, validation, seed, stratify=(task == "classification"),
                           origin=raw.origin, path=raw.path)
    # inputs at predict time arrive as float32 too: fit and apply on the float32 values
    x = np.asarray(raw.x, dtype=np.float32)
    shift, scale = fit_normalization(x[tr], normalize)

    def make(idx: np.ndarray) -> Split:
        y = raw.y[idx]
        y = np.ascontiguousarray(y, dtype=np.int64 if task == "classification" else np.float32)
        return Split(normalize_array(x[idx], shift, scale), y)

    return Data(
        train=make(tr),
        validation=make(va) if va.size else None,
        test=None,
        feature_shape=tuple(int(d) for d in raw.x.shape[1:]),
        num_classes=raw.num_classes if task == "classification" else None,
        class_names=raw.class_names if task == "classification" else None,
        source=raw.description,
        norm_shift=shift,
        norm_scale=scale,
        normalize=normalize,
        task=task,
    )
