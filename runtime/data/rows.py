"""Rows that stay where they are stored: a split of data larger than its memory budget.

When the prepared data (float32, every split) would take more than the data block's
`memory = ...` (by default half of the machine's memory), `build_data` keeps each split as
`StoredRows`: the source's array as stored on disk (memory-mapped, in its own dtype), the
split's row numbers in it, and the preparation (the recipe's reshape/layout, the cleaning
of cleaning.py, then the normalization). The training loop reads the rows of one chunk of steps at a time through
`take`, in the epoch's order; evaluation reads them a block at a time.

Same seed, same weights, whatever the budget: the epoch's order is drawn over the whole
training split either way, `take` prepares each element exactly as the in-memory path does
(the same float32 cast, conversion and float64 normalization), and the normalization
statistics are computed over fixed-size blocks in both paths (preprocess.py), so streamed
and in-memory runs feed the compiled step bitwise the same batches.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Iterator

import numpy as np

from .layout import Conversion

EXACT_IN_FLOAT32 = {np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.float32)}
BUDGET_SHARE = 0.5          # `memory = auto`: this share of the machine's physical memory
BUDGET_ENV = "RECIPEC_DATA_MEMORY_BYTES"


def as_float32_values(x: np.ndarray) -> np.ndarray:
    """`x` itself where its dtype is exact in float32 (kept compact until normalized),
    else its float32 values."""
    return x if x.dtype in EXACT_IN_FLOAT32 else np.asarray(x, dtype=np.float32)


def memory_budget(memory: int | str) -> int:
    """Bytes the prepared data may take: the recipe's `memory = 2 GB`, or for `auto` half
    of the machine's memory (RECIPEC_DATA_MEMORY_BYTES overrides `auto`, for tests)."""
    if not isinstance(memory, str):
        return int(memory)
    override = os.environ.get(BUDGET_ENV, "").strip()
    if override.isdigit():
        return int(override)
    from ...compiler.check.memory import machine_memory
    total = machine_memory()
    return int(total * BUDGET_SHARE) if total else 1 << 62


def prepared_bytes(rows: int, feature_shape: tuple[int, ...]) -> int:
    return int(rows) * int(np.prod(feature_shape, dtype=np.int64)) * 4


@dataclass(frozen=True)
class StoredRows:
    """Rows `index` of `stored` ([N, *stored_shape], any numeric dtype, usually a memmap),
    read and prepared on demand into float32 [k, *feature_shape]."""

    stored: np.ndarray
    index: np.ndarray | None           # int64 row numbers in `stored`; None: all its rows
    conversion: Conversion
    shift: np.ndarray | None = None    # the normalization: (x - shift) / scale, or none
    scale: np.ndarray | None = None
    cleaning: Any = None               # cleaning.Cleaning (impute, outliers) or None

    def __len__(self) -> int:
        return int(self.stored.shape[0] if self.index is None else self.index.shape[0])

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self),) + tuple(self.conversion.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float32)

    def normalized(self, shift: np.ndarray | None, scale: np.ndarray | None) -> "StoredRows":
        return replace(self, shift=shift, scale=scale)

    def converted(self, rows: np.ndarray) -> np.ndarray:
        """Rows `rows` (positions in this split, any order) converted and cleaned, not
        normalized: float32-exact values [k, *feature_shape]."""
        src = np.asarray(rows, dtype=np.int64)
        if self.index is not None:
            src = self.index[src]
        # read in file order (sequential pages), then put the rows back in the asked order
        by_place = np.argsort(src, kind="stable")
        block = np.empty((len(src),) + tuple(self.stored.shape[1:]), self.stored.dtype)
        block[by_place] = self.stored[src[by_place]]
        values = self.conversion.apply(as_float32_values(block))
        return values if self.cleaning is None else self.cleaning.apply(values)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """Rows `rows` prepared as the model reads them: float32 C-contiguous."""
        from .preprocess import normalize_array
        return normalize_array(self.converted(rows), self.shift, self.scale)

    def blocks(self, rows: int) -> Iterator[np.ndarray]:
        """The split in order, `rows` prepared rows at a time."""
        for start in range(0, len(self), rows):
            yield self.take(np.arange(start, min(len(self), start + rows)))


def rows_per_block(feature_shape: tuple[int, ...], budget: int) -> int:
    """Rows a streamed block may hold: an eighth of the budget (the block is read, converted
    and normalized through float64 copies), at least one row."""
    row = max(1, prepared_bytes(1, feature_shape))
    return max(1, budget // 8 // row)
