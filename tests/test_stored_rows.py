"""Data beyond its memory budget stays on disk (runtime/data/rows.py): the rows a streamed
split prepares must be bitwise the rows the in-memory path prepares, for every normalization
and conversion, with statistics merged over several blocks."""
from __future__ import annotations

import numpy as np
import pytest

from recipec.runtime.data import build_data, preprocess
from recipec.runtime.data.cache import on_disk
from recipec.runtime.data.raw import RawData
from recipec.runtime.data.rows import StoredRows, memory_budget, rows_per_block


def raw_images(n=257, dtype=np.float64, seed=0) -> RawData:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, 6, 5, 3)) * 4 + 7).astype(dtype)   # stored [H, W, C]
    y = rng.integers(0, 3, n).astype(np.int64)
    return RawData(x, y, None, 3, "test images", "test", None)


@pytest.fixture
def small_blocks(monkeypatch):
    # several statistics blocks, so the block merge is what both paths share
    monkeypatch.setattr(preprocess, "STATS_BLOCK_ELEMENTS", 7 * 90)


@pytest.mark.parametrize("normalize", ["none", "standard", "minmax", "per_channel"])
@pytest.mark.parametrize("dtype", [np.float64, np.uint8, np.float32])
def test_streamed_splits_prepare_bitwise_the_in_memory_rows(small_blocks, normalize, dtype):
    raw = raw_images(dtype=dtype)
    kwargs = dict(validation=0.25, normalize=normalize, scale=0.5, layout="hwc")
    held = build_data(raw, "classification", 3, memory=1 << 30, **kwargs)
    streamed = build_data(raw, "classification", 3, memory=1024, **kwargs)
    assert not held.streamed and streamed.streamed
    assert streamed.feature_shape == held.feature_shape == (3, 6, 5)
    for name in ("norm_shift", "norm_scale"):
        a, b = getattr(held, name), getattr(streamed, name)
        assert (a is None and b is None) or np.array_equal(a, b), name
    for split in ("train", "validation"):
        h, s = getattr(held, split), getattr(streamed, split)
        assert len(h) == len(s) and isinstance(s.x, StoredRows)
        assert np.array_equal(h.y, s.y)
        rows = np.random.default_rng(1).permutation(len(h))     # any order, as an epoch's
        assert np.array_equal(s.x.take(rows), h.x[rows]), split
        assert np.array_equal(np.concatenate(list(s.x.blocks(10))), h.x), split


def test_several_blocks_give_statistics_close_to_numpys(small_blocks):
    x = raw_images(n=400).x.reshape(400, -1).astype(np.float32)
    shift, scale = preprocess.fit_normalization(x, "standard")
    np.testing.assert_allclose(shift, x.mean(axis=0, dtype=np.float64), rtol=1e-6)
    np.testing.assert_allclose(scale, x.std(axis=0, dtype=np.float64), rtol=1e-6)


def test_one_block_gives_numpys_statistics_exactly():
    x = raw_images(n=300).x.reshape(300, -1).astype(np.float32)
    shift, scale = preprocess.fit_normalization(x, "standard")
    assert np.array_equal(shift, x.mean(axis=0, dtype=np.float64).astype(np.float32))
    assert np.array_equal(scale, x.std(axis=0, dtype=np.float64).astype(np.float32))


def test_a_test_source_streams_with_the_training_statistics():
    raw, test = raw_images(n=120, seed=0), raw_images(n=50, seed=5)
    held = build_data(raw, "classification", 0, normalize="standard", test=test,
                      memory=1 << 30)
    streamed = build_data(raw, "classification", 0, normalize="standard", test=test,
                          memory=4096)
    assert streamed.test.streamed
    assert np.array_equal(streamed.test.x.take(np.arange(50)), held.test.x)


def test_in_memory_arrays_spill_to_a_mapped_file_that_is_already_unlinked():
    x = np.arange(24, dtype=np.float32).reshape(6, 4)
    mapped = on_disk(x)
    assert isinstance(mapped, np.memmap) and np.array_equal(mapped, x)
    assert not np.shares_memory(mapped, x)
    assert on_disk(mapped) is mapped


def test_budget_auto_is_half_the_machine_and_env_overrides(monkeypatch):
    monkeypatch.setenv("RECIPEC_MEMORY_BYTES", str(8 << 30))
    monkeypatch.delenv("RECIPEC_DATA_MEMORY_BYTES", raising=False)
    assert memory_budget("auto") == 4 << 30
    monkeypatch.setenv("RECIPEC_DATA_MEMORY_BYTES", "12345")
    assert memory_budget("auto") == 12345
    assert memory_budget(2_000_000_000) == 2_000_000_000
    assert rows_per_block((3, 6, 5), 8 * 360 * 10) == 10
    assert rows_per_block((10_000,), 100) == 1
