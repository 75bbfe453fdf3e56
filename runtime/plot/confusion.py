"""The confusion matrix as an annotated heatmap: true classes as rows, predicted ones as
columns (as runtime/run.py prints it and scikit-learn's confusion_matrix lays it out)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .figure import new_figure, save

# normalize= as scikit-learn's confusion_matrix takes it: over the true rows, the predicted
# columns, or the whole matrix; None keeps the counts
NORMALIZE = (None, "true", "pred", "all")
WHAT = {"true": "fraction of each true class", "pred": "fraction of each predicted class",
        "all": "fraction of all samples"}
ANNOTATE_UP_TO = 30              # classes; beyond, the numbers would not fit their cells


def normalized(matrix, normalize: str | None = None) -> np.ndarray:
    """The matrix as float64, divided as `normalize` says; a row (column) with no sample
    stays 0 rather than becoming NaN."""
    if normalize not in NORMALIZE:
        raise ValueError(f"normalize must be one of {', '.join(map(str, NORMALIZE))}, not "
                         f"{normalize!r}")
    counts = _checked(matrix)
    if normalize is None:
        return counts
    total = {"true": counts.sum(axis=1, keepdims=True),
             "pred": counts.sum(axis=0, keepdims=True), "all": counts.sum()}[normalize]
    total = np.broadcast_to(total, counts.shape)
    return np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)


def confusion_figure(matrix, class_names: Sequence[str] | None = None,
                     normalize: str | None = None, title: str = "confusion"):
    """The heatmap figure (not yet written); each cell annotated with its count (or its
    fraction, to 2 decimals, when normalized) up to ANNOTATE_UP_TO classes."""
    values = normalized(matrix, normalize)
    k = len(values)
    names = _names(class_names, k)
    side = min(max(3.5, 0.45 * k + 2.0), 14.0)
    figure = new_figure(side + 1.0, side, layout="compressed")
    ax = figure.subplots()
    image = ax.imshow(values, cmap="Blues", vmin=0.0,
                      vmax=1.0 if normalize else max(float(values.max()), 1.0))
    figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0,
                  ha="right" if max(map(len, names)) > 3 else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title + (f", {WHAT[normalize]}" if normalize else ""))
    if k <= ANNOTATE_UP_TO:
        threshold = image.norm.vmax / 2            # dark cells get white numbers
        for i in range(k):
            for j in range(k):
                v = values[i, j]
                ax.text(j, i, f"{v:.2f}" if normalize and v else f"{v:.0f}", ha="center",
                        va="center", fontsize="small" if k <= 12 else "x-small",
                        color="white" if v > threshold else "0.6" if v == 0 else "black")
    return figure


def plot_confusion(matrix, class_names: Sequence[str] | None, out_path: str | Path,
                   normalize: str | None = None, title: str = "confusion"):
    """Draw the matrix and write it to `out_path` (.png, .svg or .pdf, atomically); returns
    the figure."""
    figure = confusion_figure(matrix, class_names, normalize, title)
    save(figure, out_path)
    return figure


def _checked(matrix) -> np.ndarray:
    try:
        counts = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("a confusion matrix is a square list of lists of counts") from None
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"a confusion matrix is square (K x K, K >= 1); got shape "
                         f"{list(counts.shape)}")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("a confusion matrix holds counts: finite numbers >= 0")
    return counts


def _names(class_names, k: int) -> list[str]:
    if class_names is None:
        return [str(i) for i in range(k)]
    names = [str(n) for n in class_names]
    if len(names) != k:
        raise ValueError(f"{len(names)} class names for a {k} x {k} confusion matrix")
    return names
