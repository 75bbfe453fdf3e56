"""One trial's point of the space, asked of Optuna's trial, as recipe text per dimension.

Choices are categorical over their values' texts (so a trial's parameters read as the recipe
does: `he`, `sgd(lr = 0.1)`); int ranges are integers and uniform/loguniform floats, so that
TPE models their order. A grid asks every finite dimension as categorical over its values,
which is how the queued grid points hold them.
"""
from __future__ import annotations


def suggest(trial, space) -> dict:
    """Dimension -> its value's text for this trial. A grid's queued points hold every value
    as its text; an int range queued so is asked as categorical too."""
    fixed = trial.user_attrs.get("grid_point") is not None
    values = {}
    for d in space:
        if d.kind == "choice" or (fixed and d.finite):
            values[d] = trial.suggest_categorical(d.name, d.grid())
        elif d.kind == "int":
            values[d] = d.text_of(trial.suggest_int(d.name, d.low, d.high, step=d.step))
        else:
            values[d] = d.text_of(trial.suggest_float(d.name, d.low, d.high,
                                                      log=d.kind == "loguniform"))
    return values


def params_text(space, values: dict) -> str:
    """The trial's values in one line, as `--set` would take them."""
    return "  ".join(f"{d.name}={' '.join(values[d].split())}" for d in space)
