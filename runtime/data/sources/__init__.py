"""Readers for the data sources of `compiler/sources.py`, one file per source.

A reader file registers `read(options, task=, base_dir=, min_classes=) -> RawData` against the
name of a `SourceDef`; `options` are the checked call's options with the schema's defaults
filled in. Every module of this package is imported below, and import fails if a schema has
no reader or a reader no schema, so a source cannot be half added.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any, Callable

from ....compiler.sources import SOURCES
from ....compiler.tasks import Task, as_task
from ...errors import DataError
from ..cache import cached_read
from ..missing import missing_allowed
from ..raw import RawData, resolve_path

# read(options, *, task, base_dir, min_classes) -> RawData
Reader = Callable[..., RawData]

READERS: dict[str, Reader] = {}
# sources whose parsing is worth keeping on disk (cache.py): they name a file or folder
# in their `path` option
CACHED: set[str] = set()


def register_reader(name: str, read: Reader, *, cache: bool = False) -> Reader:
    """`cache=True`: the source reads `options["path"]` slowly enough (parsing text, decoding
    images) that its result is kept on disk for the next run."""
    assert name not in READERS, f"data source {name} has two readers"
    READERS[name] = read
    if cache:
        CACHED.add(name)
    return read


def load_source(call: Any, task: Task | str, base_dir: str | Path = ".", *,
                min_classes: int = 2, cache: bool = True) -> RawData:
    """Read the source of a checked `Call` (kind + options) for `task`.

    `min_classes=1` for a test-only source (`data { test = ... }`), whose labels may all be
    of one class. `cache=False`: neither use nor fill the parsed-data cache (cache.py)."""
    task = as_task(task)
    if call.kind not in READERS:
        raise ValueError(f"unknown data source {call.kind!r}")
    defaults = {o.name: o.default for o in SOURCES[call.kind].opts if not o.required}
    options = {**defaults, **dict(call.options)}
    def read() -> RawData:
        return READERS[call.kind](options, task=task, base_dir=base_dir,
                                  min_classes=min_classes)

    if cache and call.kind in CACHED:
        try:
            path = resolve_path(options["path"], base_dir)
        except DataError:
            return read()        # missing: the reader's own D001 (a folder named as one)
        # a file read with missing values allowed (missing.py) is another entry: read
        # without, its NaN must still be refused
        key = {**options, "missing": "nan"} if missing_allowed() else options
        return cached_read(call.kind, key, path, task.name, min_classes, read)
    return read()


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

# a raise, not an assert: it must hold under `python -O` too
_unread, _unknown = sorted(set(SOURCES) - set(READERS)), sorted(set(READERS) - set(SOURCES))
if _unread or _unknown:
    raise ImportError(f"data sources without a reader: {_unread}; readers without a schema in "
                      f"compiler/sources.py: {_unknown}")
