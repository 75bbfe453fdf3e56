"""Training curves: the loss, each metric and the learning rate per epoch, several runs on one
figure (one colour per run; train solid, validation dashed).

A run is (label, history), the history a list of epochs as a run report's "history" holds
them: {"epoch": 3, "train": {"loss": ..., "accuracy": ...}, "validation": {...} or None,
"lr": 0.001, ...}.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from .figure import new_figure, save

COLUMNS = 3                    # panels per row
PANEL = (4.0, 3.0)             # a panel's width and height, inches
LOG_SPAN = 10.0                # a learning rate spanning more than this ratio: log scale
STYLES = {"train": "-", "validation": "--"}


def panels(runs: Sequence[tuple[str, list[dict]]]) -> list[str]:
    """The panels' names in order: 'loss', then each metric as it first appears (a train
    metric, then validation's own, run by run), then 'lr' when any epoch has a rate."""
    names = ["loss"]
    for _, history in runs:
        for record in history:
            for split in STYLES:
                for key in record.get(split) or {}:
                    if key not in names:
                        names.append(key)
    if any(record.get("lr") is not None for _, history in runs for record in history):
        names.append("lr")
    return names


def curves_figure(runs: Sequence[tuple[str, list[dict]]]):
    """The figure (not yet written): one panel per name of `panels(runs)`."""
    runs = list(runs)
    if not runs:
        raise ValueError("plot_curves needs at least one run")
    for label, history in runs:
        if not history:
            raise ValueError(f"run {label!r} has no epochs to plot")
    names = panels(runs)
    columns = min(COLUMNS, len(names))
    rows = math.ceil(len(names) / columns)
    figure = new_figure(PANEL[0] * columns, PANEL[1] * rows)
    grid = figure.subplots(rows, columns, squeeze=False)
    axes = list(grid.flat)
    for extra in axes[len(names):]:             # a row's empty places
        extra.remove()
    palette = _palette(len(runs))
    for ax, name in zip(axes, names):
        if name == "lr":
            _lr_panel(ax, runs, palette)
        else:
            _metric_panel(ax, name, runs, palette)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    _legend(axes[0], runs, palette)
    return figure


def plot_curves(runs: Sequence[tuple[str, list[dict]]], out_path: str | Path):
    """Draw the runs' curves and write them to `out_path` (.png, .svg or .pdf, atomically);
    returns the figure."""
    figure = curves_figure(runs)
    save(figure, out_path)
    return figure


def _palette(n: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _series(history: list[dict], split: str, key: str) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for record in history:
        values = record.get(split) or {}
        if key in values:
            xs.append(record["epoch"])
            v = values[key]
            ys.append(float(v) if v is not None and math.isfinite(v) else math.nan)
    return xs, ys


def _metric_panel(ax, name: str, runs, palette) -> None:
    ax.set_title(name)
    for (label, history), colour in zip(runs, palette):
        for split, style in STYLES.items():
            xs, ys = _series(history, split, name)
            if xs:
                ax.plot(xs, ys, style, color=colour, label=f"{label} {split}",
                        marker="o" if len(xs) == 1 else None, markersize=4)


def _lr_panel(ax, runs, palette) -> None:
    ax.set_title("learning rate")
    rates = []
    for (label, history), colour in zip(runs, palette):
        xs = [r["epoch"] for r in history if r.get("lr") is not None]
        ys = [float(r["lr"]) if math.isfinite(r["lr"]) else math.nan
              for r in history if r.get("lr") is not None]
        if xs:
            ax.plot(xs, ys, "-", color=colour, label=f"{label} lr",
                    marker="o" if len(xs) == 1 else None, markersize=4)
            rates += ys
    positive = [r for r in rates if r > 0 and math.isfinite(r)]
    # NOTE: a schedule annealing to 0 (cosine, linear) ends at a rate the log scale cannot
    # show: those points are left out of it, the others keep their shape
    if positive and max(positive) / min(positive) > LOG_SPAN:
        ax.set_yscale("log", nonpositive="mask")


def _legend(ax, runs, palette) -> None:
    """Runs by colour, splits by line style: len(runs) + 2 entries, not one per line."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, label=label) for (label, _), c in zip(runs, palette)]
    splits = [s for s in STYLES if any(r.get(s) for _, h in runs for r in h)]
    if len(splits) > 1:
        handles += [Line2D([], [], color="0.3", linestyle=STYLES[s], label=s) for s in splits]
    ax.legend(handles=handles, fontsize="small")
