"""A search's figures: the optimisation history (each trial's value and the best so far), the
parameters' importances (Optuna's fANOVA estimate), and one slice per parameter (each
trial's value against the parameter's value, log scale for a loguniform range).

Drawn from plain lists, so nothing here needs Optuna: runtime/search/command.py turns the
study's trials into `SearchTrial`s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .figure import new_figure, save

COLUMNS = 3
PANEL = (4.0, 3.0)


@dataclass(frozen=True)
class SearchTrial:
    number: int
    value: float | None            # None: pruned or failed
    params: dict                   # name -> value (a number, or a choice's text)
    state: str                     # "COMPLETE" | "PRUNED" | "FAIL"


def history_figure(trials: list[SearchTrial], metric: str, maximize: bool):
    figure = new_figure(6.0, 3.5)
    ax = figure.add_subplot()
    done = [t for t in trials if t.value is not None and math.isfinite(t.value)]
    ax.scatter([t.number for t in done], [t.value for t in done], s=14, label="trial")
    best, line = None, []
    for t in sorted(done, key=lambda t: t.number):
        if best is None or (t.value > best if maximize else t.value < best):
            best = t.value
        line.append((t.number, best))
    if line:
        ax.step(*zip(*line), where="post", color="C1", label="best so far")
    pruned = [t.number for t in trials if t.state == "PRUNED"]
    if pruned:
        ax.scatter(pruned, [min(t.value for t in done)] * len(pruned) if done else
                   [0] * len(pruned), marker="x", color="0.6", s=14, label="pruned")
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.set_title("optimisation history")
    ax.legend(fontsize="small")
    return figure


def importance_figure(importances: dict[str, float]):
    figure = new_figure(6.0, 0.5 + 0.4 * max(1, len(importances)))
    ax = figure.add_subplot()
    names = list(importances)[::-1]             # the most important on top
    ax.barh(names, [importances[n] for n in names])
    ax.set_xlabel("importance (fANOVA)")
    ax.set_title("parameter importances")
    return figure


def slice_figure(trials: list[SearchTrial], space, metric: str):
    done = [t for t in trials if t.value is not None and math.isfinite(t.value)]
    rows = -(-len(space) // COLUMNS)
    columns = min(COLUMNS, len(space))
    figure = new_figure(PANEL[0] * columns, PANEL[1] * rows)
    for i, dim in enumerate(space):
        ax = figure.add_subplot(rows, columns, i + 1)
        if dim.kind == "choice":
            labels = list(dim.grid())
            xs = [labels.index(t.params[dim.name]) for t in done if dim.name in t.params]
            ax.set_xticks(range(len(labels)), [" ".join(x.split()) for x in labels],
                          rotation=30, fontsize="small")
        else:
            xs = [float(t.params[dim.name]) for t in done if dim.name in t.params]
            if dim.kind == "loguniform":
                ax.set_xscale("log")
        ys = [t.value for t in done if dim.name in t.params]
        ax.scatter(xs, ys, c=[t.number for t in done if dim.name in t.params], s=14,
                   cmap="viridis")
        ax.set_title(dim.name, fontsize="medium")
        ax.set_ylabel(metric)
    return figure


def write_search_figures(folder: Path, trials: list[SearchTrial], space, metric: str,
                         maximize: bool, importances: dict[str, float] | None) -> list[Path]:
    """history.png, slice.png and (when estimated) importances.png in `folder`."""
    written = [save(history_figure(trials, metric, maximize), folder / "history.png"),
               save(slice_figure(trials, space, metric), folder / "slice.png")]
    if importances:
        written.append(save(importance_figure(importances), folder / "importances.png"))
    return written
