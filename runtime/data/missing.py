"""Whether the readers accept missing feature values, for the source being read.

Without `impute = ...` a missing value (an empty CSV or Parquet cell, NaN in an .npz/.npy
float array) is an error that names the file, line and column; with it, the readers keep the
value as NaN and runtime/data/cleaning.py fills it (or drops its row). A context variable,
not a reader argument: every reader shares one signature (sources/__init__.py), and only the
readers of tables and arrays ask.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

_ALLOWED = contextvars.ContextVar("recipec_missing_allowed", default=False)


def missing_allowed() -> bool:
    """True inside `allowing_missing(True)`: a missing feature value reads as NaN."""
    return _ALLOWED.get()


@contextlib.contextmanager
def allowing_missing(allowed: bool) -> Iterator[None]:
    token = _ALLOWED.set(bool(allowed))
    try:
        yield
    finally:
        _ALLOWED.reset(token)
