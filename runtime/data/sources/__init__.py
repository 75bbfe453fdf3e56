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
from ..raw import RawData

# read(options, *, task, base_dir, min_classes) -> RawData
Reader = Callable[..., RawData]

READERS: dict[str, Reader] = {}


def register_reader(name: str, read: Reader) -> Reader:
    assert name not in READERS, f"data source {name} has two readers"
    READERS[name] = read
    return read


def load_source(call: Any, task: Task | str, base_dir: str | Path = ".", *,
                min_classes: int = 2) -> RawData:
    """Read the source of a checked `Call` (kind + options) for `task`.

    `min_classes=1` for a test-only source (`data { test = ... }`), whose labels may all be
    of one class."""
    task = as_task(task)
    if call.kind not in READERS:
        raise ValueError(f"unknown data source {call.kind!r}")
    defaults = {o.name: o.default for o in SOURCES[call.kind].opts if not o.required}
    options = {**defaults, **dict(call.options)}
    return READERS[call.kind](options, task=task, base_dir=base_dir, min_classes=min_classes)


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

# a raise, not an assert: it must hold under `python -O` too
_unread, _unknown = sorted(set(SOURCES) - set(READERS)), sorted(set(READERS) - set(SOURCES))
if _unread or _unknown:
    raise ImportError(f"data sources without a reader: {_unread}; readers without a schema in "
                      f"compiler/sources.py: {_unknown}")
