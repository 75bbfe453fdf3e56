"""Training on data larger than its memory budget streams it from disk, and gives bitwise the
weights of the same run held in memory (issue: data at real sizes)."""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.runtime.data import preprocess

from hostile import cli

RECIPE = """
data {{
  source = {source}
  normalize = standard  validation = 0.2  shuffle = true
  memory = {memory}
  {extra}
}}
model {{ input [12] dense(16) relu dropout(0.1) dense(4) }}
loss = cross_entropy
optimizer = adam(lr = 0.01)
train {{ epochs = 3  batch = 32  seed = 7 }}
"""


@pytest.fixture
def dataset(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2000, 12)) * 2 + 3
    y = (x @ rng.standard_normal((12, 4))).argmax(1)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    holes = x.copy()
    holes[rng.random(x.shape) < 0.05] = np.nan          # for impute: 5 % missing values
    np.save(tmp_path / "holes.npy", holes)
    with open(tmp_path / "d.csv", "w") as f:
        f.write(",".join(f"f{i}" for i in range(12)) + ",label\n")
        for row, label in zip(x, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")
    return tmp_path


def trained(folder, source: str, memory: str, extra: str = ""):
    path = folder / f"r_{memory.replace(' ', '')}.recipe"
    path.write_text(RECIPE.format(source=source, memory=memory, extra=extra))
    program = recipec.compile(recipec.load(path))
    program.fit()
    return program


@pytest.mark.parametrize("source,extra", [
    ('npy(x = "x.npy", y = "y.npy")', ""), ('csv("d.csv")', ""),
    # cleaning (runtime/data/cleaning.py) is part of each streamed chunk's preparation
    ('npy(x = "holes.npy", y = "y.npy")', "impute = median  outliers = clip(z = 2)"),
    ('npy(x = "holes.npy", y = "y.npy")', "impute = mean  outliers = iqr(k = 1)")])
def test_streamed_training_gives_bitwise_the_in_memory_weights(dataset, source, extra,
                                                                monkeypatch):
    # several normalization blocks, so the statistics' block merge is exercised
    monkeypatch.setattr(preprocess, "STATS_BLOCK_ELEMENTS", 12 * 300)
    held = trained(dataset, source, "1 GB", extra)
    streamed = trained(dataset, source, "64 KiB", extra)   # 96 KB: chunks of 5 steps
    assert not held.data.streamed and streamed.data.streamed
    assert held.state.step == streamed.state.step == 150
    for a, b in zip(held.state.params + held.state.slots, streamed.state.params
                    + streamed.state.slots):
        assert np.array_equal(a, b)
    for split in ("train", "validation"):
        assert held.evaluate(split) == streamed.evaluate(split)
    assert held.evaluate("validation")["accuracy"] > 0.8


def test_the_run_says_it_streams(dataset):
    (dataset / "s.recipe").write_text(RECIPE.format(source='npy(x = "x.npy", y = "y.npy")',
                                                    memory="64 KiB", extra=""))
    out = cli("run", str(dataset / "s.recipe"))
    assert out.code == 0, out.err
    assert "exceeds the memory budget (64.0 KiB" in out.err
    assert "training reads it from disk" in out.err
