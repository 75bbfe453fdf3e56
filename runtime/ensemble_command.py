"""`recipec ensemble MODEL... [--weights W1,W2,...] [--split test|validation|train]`: several
trained models' probabilities averaged (weighted), with the ensemble's loss and metrics
beside each member's, on the members' own split of their data.

The average is taken over what predict() gives (class probabilities, sigmoid probabilities,
or outputs for regression), then turned back into logits (log p; log(p / (1 - p)) for one
sigmoid output) so that the first member's loss and metrics read it as they read a model's
outputs. The members must agree on the task, the output shape and the rows: their split is
the same rows with the same labels, which holds for runs of one recipe and its data (seeds,
widths, optimizers may differ), and is checked."""
from __future__ import annotations

import sys

import numpy as np

EPS = 1e-12          # probabilities are clipped away from 0 and 1 before the log


def _weights(text: str | None, n: int) -> np.ndarray:
    if text is None:
        return np.full(n, 1.0 / n)
    try:
        w = np.array([float(v) for v in text.split(",")], np.float64)
    except ValueError:
        raise ValueError(f"--weights {text}: numbers separated by commas, one per model") \
            from None
    if len(w) != n or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"--weights {text}: {n} non-negative numbers, not all zero, one per "
                         f"model")
    return w / w.sum()


def ensemble_outputs(probabilities: list[np.ndarray], weights: np.ndarray, task: str):
    """The weighted mean of the members' predictions, as logits (outputs for regression)."""
    mean = sum(w * p.astype(np.float64) for w, p in zip(weights, probabilities))
    if task == "regression":
        return mean.astype(np.float32)
    p = np.clip(mean, EPS, 1.0 - EPS)
    logits = np.log(p / (1.0 - p)) if task == "binary" else np.log(p)
    return logits.astype(np.float32)


def ensemble_command(args) -> int:
    from .metrics import evaluate_outputs
    from .model import load_model, resolve_model

    runs = getattr(args, "runs", None)
    models = [load_model(resolve_model(m, runs)) for m in args.models]
    try:
        weights = _weights(args.weights, len(models))
    except ValueError as err:
        print(f"recipec: error: {err}", file=sys.stderr)
        return 2
    first = models[0]
    task = first.task.name
    shape = tuple(first.recipe.model.output_shape)
    for m in models[1:]:
        if m.task.name != task or tuple(m.recipe.model.output_shape) != shape:
            print(f"recipec: error: {m.folder} is a {m.task.name} model with outputs "
                  f"{list(m.recipe.model.output_shape)}; {first.folder} is a {task} model "
                  f"with outputs {list(shape)}: an ensemble needs the same", file=sys.stderr)
            return 2
    from .eval_command import _default_split
    split = args.split or _default_split(first)
    try:
        rows = [m.rows(split) for m in models]
    except ValueError as err:             # a split the recipe's data does not have
        print(f"recipec: error: {err}", file=sys.stderr)
        return 2
    for m, part in zip(models[1:], rows[1:]):
        if part.y.shape != rows[0].y.shape or not np.array_equal(part.y, rows[0].y):
            print(f"recipec: error: the {split} split of {m.folder} is not the rows of "
                  f"{first.folder}'s (another data source, split or seed): their predictions "
                  "cannot be averaged row by row", file=sys.stderr)
            return 2
    outputs = [m.program._split_outputs(part) for m, part in zip(models, rows)]
    y = rows[0].y
    loss, metrics = first.program.graphs.loss_value, first.recipe.metrics
    results = [evaluate_outputs(o, y, loss, metrics) for o in outputs]
    mixed = ensemble_outputs([first.program.graphs.task.predict(o) for o in outputs],
                             weights, task)
    together = evaluate_outputs(mixed, y, loss, metrics)
    width = max(len(str(m.folder)) for m in models)
    for m, w, r in zip(models, weights, results):
        print(f"  {str(m.folder).ljust(width)}  weight {w:.3f}  "
              + "  ".join(f"{k} {v:.4f}" for k, v in r.items()))
    print(f"ensemble of {len(models)} ({split}, {len(y)} rows): "
          + "  ".join(f"{k} {v:.4f}" for k, v in together.items()))
    return 0
