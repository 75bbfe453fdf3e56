"""`impute = ...` and `outliers = ...` (compiler/cleaning.py): fitted on the training split,
applied to every split and to `predict()` inputs.

Both are elementwise with fitted per-feature values, so they are part of each row's
preparation, after the reshape/layout conversion and before normalization (whose
statistics see the cleaned values): a NaN becomes its feature's fill value, then every value
is bounded to [low, high]. The streamed path (rows.py) applies the same `Cleaning` to each
chunk; the statistics are taken over the same fixed row blocks as the normalization's
(preprocess.py), or exactly over every training value (median, quartiles), so streamed and
in-memory runs prepare bitwise the same rows.

Row-dropping options (`impute = drop`, `outliers = drop(z)`) change which rows exist: they
need the data held in memory (build_data refuses them when it streams).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import D003, DataError
from .preprocess import _blocks, _mean_std

# median and quartiles gather the training values of this many float64 elements at a time
# (a group of features over every training row), so a streamed split is never read whole
GATHER_ELEMENTS = 1 << 25


@dataclass(frozen=True)
class Cleaning:
    """x -> NaN filled with `fill`, then clipped to [low, high]; float32 [*feature_shape]."""

    fill: np.ndarray | None = None
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    def apply(self, x: np.ndarray) -> np.ndarray:
        """A float32 copy of `x` ([N, *feature_shape] or one sample), cleaned."""
        out = np.array(x, dtype=np.float32, copy=True)
        if self.fill is not None:
            np.copyto(out, np.broadcast_to(self.fill, out.shape), where=np.isnan(out))
        if self.low is not None:
            np.clip(out, self.low, self.high, out=out)
        return out


def cleaned(x, cleaning: Cleaning | None):
    """`x` (array or StoredRows) as the cleaning leaves it: StoredRows clean each read."""
    if cleaning is None:
        return x
    if isinstance(x, np.ndarray):
        return cleaning.apply(x)
    return replace(x, cleaning=cleaning)


def fit_cleaning(x, impute: Any, outliers: Any, one_hot: np.ndarray, origin: str,
                 path: str | None) -> tuple[Cleaning | None, np.ndarray | None]:
    """(cleaning, keep) fitted on the training rows `x` (array or StoredRows, converted and
    not yet cleaned): `keep` is the bool mask of training rows `outliers = drop(z)` leaves,
    else None. `one_hot` (bool [*feature_shape]) marks encoded category columns, which are
    never bounded (a rare category is not an outlier)."""
    fill = None
    if impute is not None and impute.kind != "drop":
        fill = _fill(x, impute, origin, path)
    base = Cleaning(fill=fill) if fill is not None else None
    low = high = keep = None
    if outliers is not None:
        filled = cleaned(x, base)
        if outliers.kind == "iqr":
            q1, q3 = _gathered(filled, lambda v: np.quantile(v, [0.25, 0.75], axis=0))
            k = float(outliers["k"])
            low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
        else:
            mean, std = _mean_std(filled, (0,))
            mean, std = mean[0], std[0]
            z = float(outliers["z"])
            if outliers.kind == "clip":
                low, high = mean - z * std, mean + z * std
            else:
                keep = _inliers(filled, mean, z * std, one_hot)
        if low is not None:
            low = np.where(one_hot, -np.inf, low).astype(np.float32)
            high = np.where(one_hot, np.inf, high).astype(np.float32)
    if fill is None and low is None:
        return None, keep
    return Cleaning(fill, low, high), keep


def _fill(x, impute: Any, origin: str, path: str | None) -> np.ndarray:
    if impute.kind == "constant":
        return np.full(tuple(x.shape[1:]), impute["value"], np.float32)
    if impute.kind == "median":
        value = _gathered(x, lambda v: np.nanmedian(v, axis=0) if np.isnan(v).any()
                          else np.median(v, axis=0))
    else:                                          # mean, over the normalization's blocks
        total = count = 0
        for block in _blocks(x):
            present = ~np.isnan(block)
            total = total + np.where(present, block, 0).sum(axis=0, dtype=np.float64)
            count = count + present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = total / count
    empty = np.isnan(value).reshape(-1)
    if empty.any():
        raise DataError(f"{origin}: feature {int(np.argmax(empty))} has no value in any "
                        f"training row, so `impute = {impute.kind}` has nothing to fill it "
                        f"with", D003, path, key="impute",
                        hint="drop the column, or use `impute = constant(v)`")
    return np.ascontiguousarray(value, dtype=np.float32)


def _gathered(x, stat):
    """`stat` (a function of float64 [N, G] -> [..., G]) over every training value, a group
    of features at a time, reassembled to [..., *feature_shape]."""
    n, fs = int(x.shape[0]), tuple(x.shape[1:])
    width = int(np.prod(fs))
    group = max(1, GATHER_ELEMENTS // max(1, n))
    parts = []
    for lo in range(0, width, group):
        hi = min(width, lo + group)
        cols = np.concatenate([b.reshape(len(b), -1)[:, lo:hi].astype(np.float64)
                               for b in _blocks(x)], axis=0)
        parts.append(stat(cols))
    out = np.concatenate(parts, axis=-1)
    return out.reshape(out.shape[:-1] + fs) if out.ndim > 1 else out.reshape(fs)


def _inliers(x: np.ndarray, mean: np.ndarray, bound: np.ndarray,
             one_hot: np.ndarray) -> np.ndarray:
    """bool [N]: training rows with no numeric feature beyond mean ± z·std."""
    out = np.abs(x.astype(np.float64) - mean) > bound
    out = out & ~one_hot
    return ~out.reshape(len(x), -1).any(axis=1)


def drop_missing(raw, test_x: np.ndarray | None, test_y: np.ndarray | None):
    """`impute = drop`: (raw, test_x, test_y, note) without the rows that miss a value, in
    the training source and the test split alike (before the validation split is drawn)."""
    def complete(x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return ~np.isnan(np.asarray(x, dtype=np.float32).reshape(len(x), -1)).any(axis=1)

    keep = complete(raw.x)
    dropped = int((~keep).sum())
    if dropped:
        raw = replace(raw, x=np.asarray(raw.x)[keep], y=raw.y[keep])
    note = f"impute = drop: left out {dropped} of {len(keep)} rows missing a value"
    if test_x is not None:
        keep_t = complete(test_x)
        if not keep_t.all():
            note += f", and {int((~keep_t).sum())} of {len(keep_t)} test rows"
            test_x, test_y = np.asarray(test_x)[keep_t], test_y[keep_t]
    if raw.x.shape[0] == 0:
        raise DataError(f"{raw.origin}: every row misses a value; `impute = drop` leaves "
                        f"none", D003, raw.path, key="impute",
                        hint="fill them instead: `impute = median`")
    return raw, test_x, test_y, note
