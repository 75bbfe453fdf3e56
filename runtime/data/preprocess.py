"""Seeded train/validation splitting and normalization fitted on the training split only."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from ..errors import D003, DataError

if TYPE_CHECKING:
    from .dataset import Data

NORMALIZE = ("none", "standard", "minmax", "per_channel")


def split_indices(y: np.ndarray, validation: float, seed: int, *, stratify: bool,
                  origin: str = "data", path: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation), each sorted ascending, holding out round(N * validation) rows.

    With `stratify`, each class gives its share of the held-out rows (largest-remainder rounding,
    ties broken by the seeded generator), like scikit-learn's stratified shuffle split.
    """
    n = int(y.shape[0])
    if not 0.0 <= validation < 1.0:
        raise ValueError(f"validation fraction must be in [0, 1), got {validation}")
    n_val = int(round(n * validation))
    if validation == 0:
        return np.arange(n, dtype=np.int64), np.empty(0, dtype=np.int64)
    if n_val < 1 or n - n_val < 1:
        side = "validation" if n_val < 1 else "training"
        raise DataError(f"{origin}: validation={validation:g} of {n} rows leaves {n_val} "
                        f"validation and {n - n_val} training rows; each side needs at least 1 "
                        f"({side} is empty), so change the validation fraction or add data",
                        D003, path)
    rng = np.random.default_rng(seed)
    if not stratify:
        perm = rng.permutation(n)
        return np.sort(perm[n_val:]).astype(np.int64), np.sort(perm[:n_val]).astype(np.int64)

    classes, y_idx = np.unique(y, return_inverse=True)
    y_idx = y_idx.reshape(-1)
    counts = np.bincount(y_idx, minlength=len(classes))
    ideal = counts * (n_val / n)
    take = np.floor(ideal).astype(np.int64)
    left = n_val - int(take.sum())
    if left > 0:
        frac = ideal - take
        # largest fractional part first; random tie-break so no class is favored by its index
        order = np.lexsort((rng.random(len(classes)), -frac))
        order = [c for c in order if take[c] < counts[c]]
        for c in order[:left]:
            take[c] += 1
    val_parts = []
    for c in range(len(classes)):
        members = np.flatnonzero(y_idx == c)
        val_parts.append(rng.permutation(members)[: take[c]])
    val = np.sort(np.concatenate(val_parts)).astype(np.int64)
    mask = np.ones(n, dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask).astype(np.int64), val


# Statistics are summed over blocks of this many values, merged in order (Chan et al.'s
# pairwise update): in memory and streamed alike, so both runs get bitwise the same
# statistics, and no float64 copy of a whole large dataset is made. A training split of up
# to this many values is one block, computed exactly as numpy's mean and std compute it.
STATS_BLOCK_ELEMENTS = 1 << 22


def _blocks(x) -> Iterator[np.ndarray]:
    """`x` ([N, *fs] array, or StoredRows: converted, not normalized) in fixed row blocks."""
    n = int(x.shape[0])
    rows = max(1, STATS_BLOCK_ELEMENTS // max(1, int(np.prod(x.shape[1:]))))
    for i in range(0, n, rows):
        if isinstance(x, np.ndarray):
            yield x[i:i + rows]
        else:
            yield x.converted(np.arange(i, min(n, i + rows)))


def _mean_std(x, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) standard deviation over `axes`, in float64, block by block."""
    count, mean, m2 = 0, None, None
    for block in _blocks(x):
        c = int(np.prod([block.shape[a] for a in axes]))
        b_mean = block.sum(axis=axes, dtype=np.float64, keepdims=True) / c
        d = block - b_mean
        b_m2 = np.multiply(d, d, out=d).sum(axis=axes, dtype=np.float64, keepdims=True)
        if mean is None:
            count, mean, m2 = c, b_mean, b_m2
            continue
        delta, total = b_mean - mean, count + c
        mean = mean + delta * (c / total)
        m2 = m2 + b_m2 + delta * delta * (count * c / total)
        count = total
    return mean, np.sqrt(m2 / count)


def kfold_indices(y: np.ndarray, k: int, fold: int, seed: int, *, stratify: bool,
                  origin: str = "data", path: str | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation) of fold `fold` of `k`, each sorted ascending. Every row is
    held out in exactly one fold. With `stratify`, each class's rows (in a seeded order) are
    dealt to the folds in turn, so each fold holds its share of every class, as
    scikit-learn's StratifiedKFold; otherwise a seeded permutation is cut into k parts."""
    n = int(y.shape[0])
    if not 0 <= fold < k:
        raise ValueError(f"fold {fold} of {k}: folds are numbered 0 to {k - 1}")
    if n < k:
        raise DataError(f"{origin}: kfold({k}) needs at least {k} rows, the data has {n}",
                        D003, path, key="validation")
    rng = np.random.default_rng([seed, k, 0xF01D])
    assignment = np.empty(n, np.int64)
    if stratify:
        _, y_idx = np.unique(y, return_inverse=True)
        y_idx = y_idx.reshape(-1)
        dealt = 0
        for c in range(int(y_idx.max()) + 1):
            members = rng.permutation(np.flatnonzero(y_idx == c))
            # continue the round-robin across classes, so the folds' sizes differ by <= 1
            assignment[members] = (dealt + np.arange(len(members))) % k
            dealt += len(members)
    else:
        perm = rng.permutation(n)
        assignment[perm] = np.arange(n) % k
    val = np.flatnonzero(assignment == fold).astype(np.int64)
    train = np.flatnonzero(assignment != fold).astype(np.int64)
    return train, val


def fit_normalization(x, method: str, input_scale: float = 1.0
                      ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(shift, scale) per feature element of `x` [N, *feature_shape], or (None, None).
    `x` is an array or StoredRows (rows.py); both give the same statistics.

    standard: shift = mean, scale = std (0 -> 1); minmax: shift = min, scale = max - min (0 -> 1);
    per_channel: mean and std per channel (axis 1) over the rows and every other axis, for
    [N, C, ...] data, broadcast to the feature shape; for flat [N, F] data it is `standard`.

    `input_scale` s > 0: the raw values are multiplied by s before normalizing. The result is
    still for raw values, x_norm = (x - shift) / scale, with the statistics taken (and the
    constant-feature rule applied) on x * s; with method "none" that is shift 0, scale 1/s.
    """
    if method not in NORMALIZE:
        raise ValueError(f"unknown normalization {method!r}; expected one of {NORMALIZE}")
    if not input_scale > 0:
        raise ValueError(f"input scale must be > 0, got {input_scale}")
    s = float(input_scale)
    fs = tuple(x.shape[1:])
    if method == "none":
        if s == 1.0:
            return None, None
        return (np.zeros(fs, np.float32), np.full(fs, 1.0 / s, np.float32))
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    ndim = len(x.shape)
    if method == "per_channel" and ndim < 3:
        method = "standard"
    if method == "standard":
        mean, std = _mean_std(x, (0,))
        shift, scale = mean[0], std[0]
    elif method == "minmax":
        lows, highs = zip(*((b.min(axis=0), b.max(axis=0)) for b in _blocks(x)))
        shift = np.minimum.reduce(lows).astype(np.float64)
        scale = np.maximum.reduce(highs).astype(np.float64) - shift
    else:                                            # per_channel on [N, C, ...]
        mean, std = _mean_std(x, (0,) + tuple(range(2, ndim)))
        shift = np.broadcast_to(mean[0], fs)
        scale = np.broadcast_to(std[0], fs)
    shift, scale = shift * s, scale * s              # statistics of x * s
    # constant features (up to rounding) are only shifted
    scale = np.where(scale <= 1e-12 * np.maximum(1.0, np.abs(shift)), 1.0, scale)
    return (np.ascontiguousarray(shift / s, dtype=np.float32),
            np.ascontiguousarray(scale / s, dtype=np.float32))


_CHUNK_ELEMENTS = 1 << 20


def normalize_array(x: np.ndarray, shift: np.ndarray | None,
                    scale: np.ndarray | None) -> np.ndarray:
    """(x - shift) / scale as float32 C-contiguous (a copy; `x` is left untouched).

    Computed in float64, a block of rows at a time (large image sets stay fast and small).
    """
    x = np.asarray(x)
    if shift is None:
        return np.array(x, dtype=np.float32, order="C", copy=True)
    out = np.empty(x.shape, np.float32)
    sh, sc = shift.astype(np.float64), scale.astype(np.float64)
    n = x.shape[0] if x.ndim else 0
    if x.ndim == len(sh.shape):                      # a single sample
        out[...] = (x.astype(np.float64) - sh) / sc
        return out
    rows = max(1, _CHUNK_ELEMENTS // max(1, int(np.prod(x.shape[1:]))))
    for i in range(0, n, rows):
        block = x[i:i + rows].astype(np.float64)
        block -= sh
        block /= sc
        out[i:i + rows] = block
    return out


def apply_normalization(x: np.ndarray, data: "Data") -> np.ndarray:
    """Apply the training data's preparation to new inputs, e.g. for predict(): the recipe's
    `reshape`/`layout` conversion, the cleaning (NaN filled, outliers bounded), then the
    training split's normalization (scale too).

    `x` is [N, *source_shape] or a single sample [*source_shape], shaped as the source stores
    its samples; returns float32 C-contiguous [N, *feature_shape] (or [*feature_shape]).
    """
    x = np.asarray(x)
    fs = tuple(data.source_shape)
    if tuple(x.shape[x.ndim - len(fs):]) != fs or x.ndim not in (len(fs), len(fs) + 1):
        raise ValueError(f"inputs of shape {tuple(x.shape)} do not match the feature shape "
                         f"{fs} of the source's samples (expected [N, {', '.join(map(str, fs))}])")
    if x.dtype.kind not in "biuf":
        raise ValueError(f"inputs must be numeric, got dtype {x.dtype}")
    if data.conversion is not None and not data.conversion.identity:
        one = x.ndim == len(fs)
        x = data.conversion.apply(x[None] if one else x)
        x = x[0] if one else x
    if getattr(data, "cleaning", None) is not None:      # impute / outliers (cleaning.py)
        x = data.cleaning.apply(x)
    return normalize_array(x, data.norm_shift, data.norm_scale)
