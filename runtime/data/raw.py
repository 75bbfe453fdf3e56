"""What every source reader returns (`RawData`) and the checks they share: where a file is,
whether feature values are finite.

Every user-caused problem is a `DataError` whose message names the file (as given) and what
was wrong.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import D001, D003, DataError


@dataclass(frozen=True)
class TextColumn:
    """A feature column of text (categories), one-hot encoded by build_data (categorical.py)."""

    index: int                          # its column in `RawData.x` (which holds 0 there)
    name: str                           # as messages and `Data.categories` name it
    values: np.ndarray                  # str [N]; "" where the cell is missing


@dataclass
class RawData:
    x: np.ndarray                       # [N, *feature_shape], finite: float64, or uint8 (IDX)
    y: np.ndarray                       # encoded for the task: int64 [N] class indices
                                        # (Task.class_labels) or float32 [N, k] targets
    class_names: tuple[str, ...] | None
    num_classes: int | None
    description: str                    # e.g. "digits (scikit-learn, 1797 rows)"
    origin: str                         # how error messages name it: the path as given, or "iris"
    path: str | None = None             # the path as given, for DataError.path
    x_test: np.ndarray | None = None    # the source's own test split (mnist, npz x_test), same
    y_test: np.ndarray | None = None    # encoding as x / y; None when it has none
    text: tuple[TextColumn, ...] = ()   # text feature columns of x (csv, parquet, feather)
    feature_names: tuple[str, ...] | None = None   # x's columns by name (a header), if known


def resolve_path(path: str, base_dir: str | Path = ".", what: str = "data file") -> Path:
    """Find `path`: absolute as is; relative against `base_dir` first, then the current folder.
    `what` names it in the message ("data file", "folder")."""
    p = Path(os.path.expanduser(path))
    if p.is_absolute():
        candidates = [p]
    else:
        candidates = [Path(base_dir) / p]
        if Path.cwd().resolve() != Path(base_dir).resolve():
            candidates.append(Path.cwd() / p)
    for c in candidates:
        if c.exists():
            return c
    looked = " and ".join(str(c.resolve()) for c in candidates)
    msg = f"{what} '{path}' not found (looked for {looked})"
    parent = candidates[0].parent
    if parent.is_dir():
        try:
            names = [e.name for e in parent.iterdir()]
        except OSError:
            names = []
        close = difflib.get_close_matches(p.name, names, n=1, cutoff=0.6)
        if close:
            msg += f"; did you mean '{close[0]}'?"
    raise DataError(msg, D001, path)


IMPUTE_HINT = ("to fill missing values, set `impute = median` (or mean, constant(v), drop) "
               "in the data block")


def not_finite(x: np.ndarray) -> np.ndarray:
    """Where `x` holds a value training cannot take: inf always, NaN unless the data block
    imputes missing values (missing.py)."""
    from .missing import missing_allowed
    return np.isinf(x) if missing_allowed() else ~np.isfinite(x)


def check_finite(x: np.ndarray, origin: str, path: str | None,
                  where: Callable[[int], str]) -> None:
    bad = not_finite(x.reshape(x.shape[0], -1))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        value = x.reshape(x.shape[0], -1)[i, j]
        raise DataError(f"{origin}: feature value {value} at "
                        f"{where(int(i))}, feature {int(j)} is not a finite number "
                        f"(NaN/inf are not allowed)", D003, path,
                        hint=IMPUTE_HINT if np.isnan(value) else None)
