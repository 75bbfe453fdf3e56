"""Opening the run store: one SQLite file, `runs.sqlite`, in the runs folder.

Several `recipec run` processes write one store at once, so: WAL mode (readers never block
the writer and see whole transactions only), a busy timeout (a writer waits for another's
transaction instead of failing), and short transactions (one per run opened, per epoch, per
run closed) that take the write lock at their start (`BEGIN IMMEDIATE`: a transaction that
starts as a read and then writes can fail at once under WAL instead of waiting).
`synchronous = NORMAL`: a committed transaction survives the process being killed; a power
cut may lose the last ones but never corrupts the file.

Every SQLite error becomes a StoreError naming the file: R002 for a file that is damaged or
not a store (it is never written to, let alone replaced), R001 for one that cannot be
created, written or locked.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from ..errors import StoreError
from . import schema

FILE = "runs.sqlite"
BUSY_SECONDS = 30.0       # how long a writer waits for another's transaction
DEFAULT_FOLDER = "runs"


def folder_of(option: str | None) -> str:
    """The runs folder: `--runs DIR`, else $RECIPEC_RUNS, else ./runs."""
    return option or os.environ.get("RECIPEC_RUNS") or DEFAULT_FOLDER


class Store:
    """An open run store; `name` is its file as the user's folder spells it."""

    def __init__(self, conn: sqlite3.Connection, name: str):
        self.conn, self.name = conn, name

    @classmethod
    def open(cls, folder: str | Path, *, create: bool) -> "Store | None":
        """The store in `folder`; with `create`, made (folder too) when missing, else None
        when there is none. Raises StoreError for one that cannot be used."""
        folder = Path(folder)
        path = folder / FILE
        name = str(path)
        if not create and not path.exists():
            return None
        if create:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"{name}: the runs folder {str(folder)!r} cannot be created "
                                 f"({err.strerror or err})", "R001",
                                 hint="give a writable folder with --runs DIR, or --no-store")
        if path.exists() and not path.is_file():
            raise StoreError(f"{name} exists and is not a file", "R002")
        mode = "rwc" if create else "rw"
        store = cls.__new__(cls)
        store.name = name
        with store.guard():
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True,
                                   timeout=BUSY_SECONDS, isolation_level=None)
            store.conn = conn
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
                version = schema.version_of(conn, name)
                if create:
                    conn.execute("PRAGMA synchronous = NORMAL")
                    conn.execute("PRAGMA foreign_keys = ON")
                    if version is None:
                        with store.write():
                            schema.create(conn)
                    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        # once set, WAL mode is a property of the file (every later opener
                        # uses it); a file system without shared memory keeps its own mode
                        conn.execute("PRAGMA journal_mode = WAL")
                elif version is None:        # an empty file: no runs, and none made here
                    conn.close()
                    return None
                if version is not None and version < schema.VERSION:
                    with store.write():
                        schema.migrate(conn, version)
            except BaseException:
                conn.close()
                raise
        return store

    @contextlib.contextmanager
    def guard(self):
        """SQLite's errors as StoreErrors naming the file."""
        try:
            yield
        except (StoreError, sqlite3.IntegrityError, sqlite3.ProgrammingError):
            raise                   # the last two are recipec's bugs, not the file's fault
        except sqlite3.OperationalError as err:
            text = str(err)
            if "locked" in text or "busy" in text:
                raise StoreError(f"{self.name} stayed locked by another process for "
                                 f"{BUSY_SECONDS:.0f} s ({text})", "R001") from None
            if "unable to open" in text or "readonly" in text or "disk" in text:
                raise StoreError(f"{self.name} cannot be opened or written ({text})", "R001",
                                 hint="give a writable folder with --runs DIR, or --no-store"
                                 ) from None
            raise StoreError(f"{self.name} is damaged or not a run store ({text})", "R002",
                             hint="give another folder with --runs DIR; this file is left "
                                  "as it is") from None
        except sqlite3.DatabaseError as err:       # not a database, malformed image
            raise StoreError(f"{self.name} is damaged or not a run store ({err})", "R002",
                             hint="give another folder with --runs DIR; this file is left "
                                  "as it is") from None

    @contextlib.contextmanager
    def write(self):
        """One short transaction holding the write lock from its start."""
        with self.guard():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def read(self, sql: str, params=()) -> list[dict]:
        with self.guard():
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def close(self) -> None:
        self.conn.close()
