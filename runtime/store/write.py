"""The store's three writes, each one short transaction: a run opened, an epoch recorded, a
run closed. JSON columns are written with allow_nan=False and non-finite floats as null, so
every reader (SQLite's json functions, other languages) can parse them."""
from __future__ import annotations

import json
import math
import time

from .db import Store

# the columns a run may be opened with (besides status and started)
OPEN_COLUMNS = ("recipe", "path", "text", "hash", "overrides", "metric", "environment",
                "host", "pid", "pid_start", "checkpoints", "fold", "folds", "kfold_first",
                "study", "trial")
CLOSE_COLUMNS = ("final", "timings", "error", "model", "checkpoints", "resumed_from",
                 "resumed_run", "pruned")
JSON_COLUMNS = ("overrides", "environment", "final", "timings")


def to_json(value) -> str:
    return json.dumps(_finite(value), allow_nan=False, sort_keys=False)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _number(value) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def open_run(store: Store, **fields) -> int:
    """A new row with status running; returns its id."""
    unknown = set(fields) - set(OPEN_COLUMNS)
    assert not unknown, unknown
    values = {k: to_json(v) if k in JSON_COLUMNS else v for k, v in fields.items()}
    values.update(status="running", started=time.time())
    names = ", ".join(values)
    with store.write() as conn:
        cursor = conn.execute(f"INSERT INTO runs ({names}) VALUES "
                              f"({', '.join('?' * len(values))})", tuple(values.values()))
        return cursor.lastrowid


def add_epoch(store: Store, run: int, record) -> None:
    """One EpochRecord (runtime/program.py): its row and one row per split and metric.
    An epoch that two fits share (one stopped part way, the next finished it: a prune phase
    after a training of `steps`) stays one row: its steps and seconds summed, its metrics
    the later record's, which cover the whole epoch."""
    metrics = [(run, record.epoch, split, key, _number(value))
               for split, values in (("train", record.train),
                                     ("validation", record.validation))
               for key, value in (values or {}).items()]
    with store.write() as conn:
        conn.execute("INSERT INTO epochs VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run, epoch) "
                     "DO UPDATE SET steps = steps + excluded.steps, seconds = seconds + "
                     "excluded.seconds, lr = excluded.lr, penalty = excluded.penalty",
                     (run, record.epoch, record.steps, record.seconds, _number(record.lr),
                      _number(record.penalty)))
        conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?) ON CONFLICT (run, "
                         "epoch, split, metric) DO UPDATE SET value = excluded.value", metrics)


def set_fields(store: Store, run: int, **fields) -> None:
    """Columns learnt while the run goes on (its checkpoint folder, once known)."""
    _update(store, run, fields)


def close_run(store: Store, run: int, status: str, **fields) -> None:
    _update(store, run, {**fields, "status": status, "ended": time.time()})


def _update(store: Store, run: int, fields: dict) -> None:
    unknown = set(fields) - set(CLOSE_COLUMNS) - {"status", "ended"}
    assert not unknown, unknown
    values = {k: to_json(v) if k in JSON_COLUMNS else v for k, v in fields.items()}
    with store.write() as conn:
        conn.execute(f"UPDATE runs SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                     (*values.values(), run))
