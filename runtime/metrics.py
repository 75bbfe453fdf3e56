"""Metrics computed from a whole split's model outputs (once per evaluation, vectorised)."""
from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(logits)).astype(np.float32)


def evaluate_outputs(outputs: np.ndarray, y: np.ndarray, task: str,
                     metrics: tuple[str, ...]) -> dict[str, float]:
    result: dict[str, float] = {}
    if task == "classification":
        result["loss"] = float(-log_softmax(outputs)[np.arange(len(y)), y].mean())
        if "accuracy" in metrics:
            result["accuracy"] = float((outputs.argmax(axis=1) == y).mean())
    else:
        err = outputs.astype(np.float64) - y
        result["loss"] = float((err ** 2).mean())
        if "mae" in metrics:
            result["mae"] = float(np.abs(err).mean())
    return result
