"""Permutation feature importance (Breiman 2001; scikit-learn's permutation_importance): how
much a model's loss grows, and its first metric falls, when one feature's column is shuffled
across the rows of a split, breaking its link to the labels while keeping its distribution.

A text column one-hot encoded into several inputs is one feature, its block of columns
shuffled together. Each feature is shuffled `repeats` times with generators seeded by
(seed, feature, repeat): the same call gives the same table. Only models whose samples are
flat rows (tabular data) are explained here; image inputs get saliency maps (saliency.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Importance:
    feature: str
    loss_increase: float          # mean over the repeats
    loss_std: float
    metric_drop: float | None     # the first metric's fall (None: the recipe has none)
    metric_std: float | None


def feature_groups(model) -> list[tuple[str, list[int]]]:
    """(name, columns of the prepared rows) per feature: a text column's one-hot block is one.
    Named by the source's columns (a CSV header, a parquet schema) where it names them, else
    by position."""
    data = model._prep
    width = int(np.prod(model.program.recipe.model.input_shape))
    blocks = {c.name: c for c in data.categories}
    names = data.feature_names
    if names is not None:               # walk the source's columns: text ones take a block
        groups, start = [], 0
        for name in names:
            span = len(blocks[name].values) if name in blocks else 1
            groups.append((name, list(range(start, start + span))))
            start += span
        if start == width:
            return groups
    taken, groups = set(), []
    for category in data.categories:
        cols = list(range(category.start, category.start + len(category.values)))
        groups.append((category.name, cols))
        taken.update(cols)
    groups += [(f"feature {k}", [k]) for k in range(width) if k not in taken]
    return sorted(groups, key=lambda g: g[1][0])


def permutation_importance(model, rows, repeats: int = 5, seed: int = 0) -> list[Importance]:
    from ..metrics import evaluate_outputs

    program = model.program
    if len(program.recipe.model.input_shape) != 1:
        raise ValueError("permutation importance explains tabular models (flat rows); this "
                         f"model's input is {list(program.recipe.model.input_shape)}")
    loss, metrics = program.graphs.loss_value, program.recipe.metrics
    x, y = np.ascontiguousarray(rows.x), rows.y

    def scores(inputs):
        return evaluate_outputs(program.outputs(inputs), y, loss, metrics)

    base = scores(x)
    first = next((k for k in base if k != "loss"), None)
    higher_is_better = first is not None and first not in ("mae", "mse")
    out = []
    for index, (name, cols) in enumerate(feature_groups(model)):
        losses, drops = [], []
        for r in range(repeats):
            rng = np.random.default_rng([seed, index, r])
            shuffled = x.copy()
            shuffled[:, cols] = x[rng.permutation(len(x))][:, cols]
            s = scores(shuffled)
            losses.append(s["loss"] - base["loss"])
            if first is not None:
                change = base[first] - s[first]
                drops.append(change if higher_is_better else -change)
        out.append(Importance(name, float(np.mean(losses)), float(np.std(losses)),
                              float(np.mean(drops)) if drops else None,
                              float(np.std(drops)) if drops else None))
    return sorted(out, key=lambda i: -i.loss_increase)


def importance_figure(table: list[Importance], title: str, path) -> None:
    from ..plot.figure import new_figure, save

    shown = table[:30]
    figure = new_figure(7.0, 0.3 * len(shown) + 1.2)
    ax = figure.subplots()
    ax.barh([t.feature for t in shown][::-1], [t.loss_increase for t in shown][::-1],
            xerr=[t.loss_std for t in shown][::-1], color="C0")
    ax.set_xlabel("loss increase when the feature is shuffled")
    ax.set_title(title)
    save(figure, path)
