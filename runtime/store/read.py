"""Reading runs back: the list (newest first), one run whole, its epochs, and the ids nearest
a missing one. Rows come back as dicts with the JSON columns decoded and `shown` holding the
status to show (`lost` for a dead `running` run, runtime/store/liveness.py)."""
from __future__ import annotations

import json

from ..errors import StoreError
from .db import Store
from .liveness import shown_status
from .write import JSON_COLUMNS

SPLITS = ("validation", "test", "train")      # the main metric's split: the first present


def _decoded(row: dict) -> dict:
    for key in JSON_COLUMNS:
        if row.get(key) is not None:
            row[key] = json.loads(row[key])
    row["shown"] = shown_status(row)
    return row


def list_runs(store: Store, recipe: str | None = None, status: str | None = None,
              limit: int | None = None, study: str | None = None) -> list[dict]:
    where, params = [], []
    if recipe is not None:
        where.append("recipe = ?")
        params.append(recipe)
    if study is not None:
        where.append("study = ?")
        params.append(study)
    if status is not None:        # `lost` is a `running` row whose process is gone
        where.append("status = ?")
        params.append({"lost": "running", "pruned": "finished"}.get(status, status))
    sql = ("SELECT r.*, (SELECT COUNT(*) FROM epochs e WHERE e.run = r.id) AS epochs "
           "FROM runs r" + (" WHERE " + " AND ".join(where) if where else "") +
           " ORDER BY id DESC")
    rows = [_decoded(r) for r in store.read(sql, params)]
    if status in ("running", "lost", "pruned", "finished"):
        rows = [r for r in rows if r["shown"] == status]
    return rows[:limit] if limit is not None else rows


def get_run(store: Store, run: int) -> dict:
    """Run `run`; a negative `run` counts back from the newest: -1 is `last`, -2 `last-1`."""
    if run < 0:
        newest = store.read("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?",
                            (-run - 1,))
        if not newest:
            count = store.read("SELECT COUNT(*) AS n FROM runs")[0]["n"]
            raise StoreError(f"{store.name} has no run {ref_text(run)}: it holds {count} "
                             f"run(s)", "R004", hint="`recipec runs` lists the runs")
        run = newest[0]["id"]
    rows = store.read("SELECT r.*, (SELECT COUNT(*) FROM epochs e WHERE e.run = r.id) AS "
                      "epochs FROM runs r WHERE id = ?", (run,))
    if not rows:
        ids = [r["id"] for r in store.read("SELECT id FROM runs")]
        raise StoreError(f"{store.name} has no run {run}" + (
            f"; the nearest ids are {', '.join(map(str, nearest(run, ids)))}" if ids
            else "; it holds no runs yet"), "R004",
            hint="`recipec runs` lists the runs" + (
                f" (ids {min(ids)} to {max(ids)})" if ids else ""))
    return _decoded(rows[0])


def ref_text(run: int) -> str:
    return str(run) if run >= 0 else "last" if run == -1 else f"last-{-run - 1}"


def nearest(run: int, ids: list[int], count: int = 3) -> list[int]:
    return sorted(sorted(ids, key=lambda i: (abs(i - run), i))[:count])


def epochs_of(store: Store, run: int) -> list[dict]:
    """Each epoch: epoch, steps, seconds, lr, penalty, and `train`/`validation` dicts of
    metric -> value, in the order they were recorded."""
    epochs = store.read("SELECT epoch, steps, seconds, lr, penalty FROM epochs WHERE run = ? "
                        "ORDER BY epoch", (run,))
    by_epoch = {e["epoch"]: {**e, "train": {}, "validation": {}} for e in epochs}
    for m in store.read("SELECT epoch, split, metric, value FROM metrics WHERE run = ? "
                        "ORDER BY rowid", (run,)):
        by_epoch[m["epoch"]][m["split"]][m["metric"]] = m["value"]
    return list(by_epoch.values())


def main_metric(store: Store, row: dict) -> tuple[str, float] | None:
    """(label, value) of the run's main metric: the recipe's first metric in the final
    metrics, on validation, else test, else train; for a run with no final metrics (still
    running, stopped) the last recorded epoch's, marked with the epoch."""
    metric = row["metric"]
    for split in SPLITS:
        value = (row.get("final") or {}).get(split, {}).get(metric)
        if value is not None:
            return f"{_short(split)}{metric}", value
    last = store.read("SELECT epoch, split, value FROM metrics WHERE run = ? AND metric = ? "
                      "ORDER BY epoch DESC, split = 'validation' DESC LIMIT 1",
                      (row["id"], metric))
    if last and last[0]["value"] is not None:
        return f"{_short(last[0]['split'])}{metric} (epoch {last[0]['epoch']})", last[0]["value"]
    return None


def _short(split: str) -> str:
    return {"validation": "val ", "test": "test ", "train": "train "}[split]
