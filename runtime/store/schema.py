"""The run store's tables, and the check that a file is a store this recipec can use.

Two tables for the runs' numbers rather than one wide row per metric: `epochs` holds what an
epoch has once (learning rate, seconds, steps, penalty) and `metrics` one row per (epoch,
split, metric), so a recipe with any metrics fits without a schema change and nothing is
repeated per metric. JSON columns hold what is read whole and never queried by part
(overrides, environment, final metrics, timings).

`meta` holds the format's name and the schema version. A file without it, with another
format name, or that SQLite cannot read is refused (R002), one with a newer version too
(R003): in both cases the file is left exactly as it was.
"""
from __future__ import annotations

import sqlite3

FORMAT = "recipec-runs"
VERSION = 2
# schema 2: a search's trials (runtime/search/) are runs too, linked to their study; a
# pruned trial is `finished` with the epoch the pruner stopped it after
STATUSES = ("running", "finished", "failed", "interrupted", "diverged")

TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, so newest = largest
    recipe       TEXT NOT NULL,          -- the recipe's name
    path         TEXT,                   -- the recipe file as given on the command line
    text         TEXT NOT NULL,          -- the file's text when the run started
    hash         TEXT NOT NULL,          -- of text and overrides, as checkpoints compute it
    overrides    TEXT NOT NULL,          -- JSON list of the --set values
    metric       TEXT,                   -- the recipe's first metric (the main one)
    environment  TEXT NOT NULL,          -- JSON: versions, threads, BLAS, CPU, host, pid
    host         TEXT NOT NULL,          -- with pid and pid_start: is a `running` run alive?
    pid          INTEGER NOT NULL,
    pid_start    TEXT,                   -- the process's start time (Linux), against pid reuse
    status       TEXT NOT NULL CHECK (status IN
                     ('running', 'finished', 'failed', 'interrupted', 'diverged')),
    started      REAL NOT NULL,          -- Unix time
    ended        REAL,
    error        TEXT,                   -- why a failed or diverged run stopped
    final        TEXT,                   -- JSON {split: {metric: value}}
    timings      TEXT,                   -- JSON, the report's timings
    checkpoints  TEXT,                   -- the checkpoint folder
    model        TEXT,                   -- the trained model's path
    resumed_from TEXT,                   -- the checkpoint file it resumed from
    resumed_run  INTEGER,                -- the run that wrote that checkpoint's folder
    fold         INTEGER,                -- kfold: this row's fold (1-based) of `folds`
    folds        INTEGER,
    kfold_first  INTEGER,                -- kfold: the id of fold 1's row (groups the folds)
    study        TEXT,                   -- a search trial: its study's name
    trial        INTEGER,                -- and its number in the study
    pruned       INTEGER                 -- the epoch a pruner stopped the trial after
);
CREATE INDEX IF NOT EXISTS runs_by_recipe ON runs (recipe, id);
CREATE INDEX IF NOT EXISTS runs_by_study ON runs (study, trial);
CREATE TABLE IF NOT EXISTS epochs (
    run      INTEGER NOT NULL REFERENCES runs (id),
    epoch    INTEGER NOT NULL,           -- 1-based, as printed
    steps    INTEGER NOT NULL,           -- fewer than an epoch's when it stopped part way
    seconds  REAL NOT NULL,
    lr       REAL,
    penalty  REAL,
    PRIMARY KEY (run, epoch)
);
CREATE TABLE IF NOT EXISTS metrics (
    run      INTEGER NOT NULL,
    epoch    INTEGER NOT NULL,
    split    TEXT NOT NULL,              -- train | validation
    metric   TEXT NOT NULL,
    value    REAL,                       -- NULL for a non-finite value
    PRIMARY KEY (run, epoch, split, metric),
    FOREIGN KEY (run, epoch) REFERENCES epochs (run, epoch)
);
"""


def version_of(conn: sqlite3.Connection, name: str) -> int | None:
    """The schema version of the open store `name` (None: an empty file, no tables yet);
    raises StoreError for a file that is not a recipec store or is a newer one."""
    from ..errors import StoreError

    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return None
    if "meta" not in tables:
        raise StoreError(f"{name} is an SQLite database but not a recipec run store (it has "
                         f"no `meta` table; its tables: {', '.join(sorted(tables))})", "R002",
                         hint="give another folder with --runs DIR; this file is left as it is")
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    if meta.get("format") != FORMAT or not str(meta.get("schema", "")).isdigit():
        raise StoreError(f"{name} is not a recipec run store (format {meta.get('format')!r}, "
                         f"schema {meta.get('schema')!r})", "R002",
                         hint="give another folder with --runs DIR; this file is left as it is")
    version = int(meta["schema"])
    if version > VERSION:
        raise StoreError(f"{name} has run-store schema {version}, newer than this recipec "
                         f"reads ({VERSION})", "R003",
                         hint="use the recipec that wrote it, or another folder (--runs DIR)")
    return version


def create(conn: sqlite3.Connection) -> None:
    """The tables and the version row, inside the caller's write transaction (two processes
    creating one store at once: the second finds everything there)."""
    for statement in TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(VERSION),))


# each older schema's step to the next, run in one write transaction (columns only added,
# so an older recipec's rows read the same)
MIGRATIONS = {
    1: ("ALTER TABLE runs ADD COLUMN study TEXT",
        "ALTER TABLE runs ADD COLUMN trial INTEGER",
        "ALTER TABLE runs ADD COLUMN pruned INTEGER",
        "CREATE INDEX IF NOT EXISTS runs_by_study ON runs (study, trial)"),
}


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a store of schema `version` to VERSION, inside the caller's write transaction
    (another process may have done it meanwhile: the version is read again first)."""
    current = int(dict(conn.execute("SELECT key, value FROM meta"))["schema"])
    for step in range(current, VERSION):
        for statement in MIGRATIONS[step]:
            conn.execute(statement)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(VERSION),))
