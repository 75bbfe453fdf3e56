"""A run named on the command line by its id (`7`), `last` or `last-N`, and what its folder
holds: <runs>/<recipe>/run-<id>/ has the run's model (model/) and report (report.json).
`recipec eval`, `predict` and `plot` take such a reference where they take a path."""
from __future__ import annotations

import re
from pathlib import Path

from .db import Store, folder_of
from .read import get_run

REF = re.compile(r"^(\d+|last|last-\d+)$")


def run_ref(text: str) -> int | None:
    """The run a text names (a negative number counts back from the newest, as get_run
    takes it), or None when the text is not a run reference."""
    if not REF.match(text):
        return None
    if text.isdigit():
        return int(text)
    return -1 - int(text[5:] or 0)


def run_folder(runs: str | None, recipe: str, run: int) -> Path:
    return Path(folder_of(runs)) / recipe / f"run-{run}"


def find_run(text: str, runs: str | None) -> dict:
    """The store's row of the run `text` names; a StoreError (R004) when the store has no
    such run or there is no store."""
    from ..errors import StoreError

    folder = folder_of(runs)
    store = Store.open(folder, create=False)
    if store is None:
        raise StoreError(f"{folder}: no run store there, so no run {text}", "R004",
                         hint="give the folder the runs were recorded in with --runs DIR, "
                              "or a path")
    try:
        return get_run(store, run_ref(text))
    finally:
        store.close()


def model_of(text: str, runs: str | None) -> Path:
    """The model folder of the run `text` names."""
    from ..errors import ModelError

    row = find_run(text, runs)
    if not row.get("model"):
        raise ModelError(f"run {row['id']} ({row['recipe']}, {row['shown']}) left no model",
                         "M001", hint="a run leaves its model when it finishes; `recipec runs` "
                                      "lists the finished ones")
    return Path(row["model"])
