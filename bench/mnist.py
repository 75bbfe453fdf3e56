"""MNIST for the benchmark: the IDX files when present (read by recipec's own reader), else
synthetic data of the same shape."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recipec.runtime.data.idx import find_mnist_files, read_images, read_labels
from recipec.runtime.errors import DataError

DEFAULT_DIR = str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")


@dataclass
class Dataset:
    x: np.ndarray          # float32 [N, 784] in [0, 1] (flat; the CNN views it as [N, 1, 28, 28])
    y: np.ndarray          # int64 [N]
    x_test: np.ndarray
    y_test: np.ndarray
    source: str            # what the output says the data was


def load_mnist(folder: str | Path) -> Dataset | None:
    """The four MNIST files in `folder`, scaled to [0, 1]; None when any is missing."""
    try:
        paths = find_mnist_files(Path(folder), str(folder))
    except DataError:
        return None

    def images(key):
        a = read_images(paths[key])
        return np.ascontiguousarray(a.reshape(len(a), -1), dtype=np.float32) / np.float32(255)

    return Dataset(images("train_images"), read_labels(paths["train_labels"]).astype(np.int64),
                   images("test_images"), read_labels(paths["test_labels"]).astype(np.int64),
                   f"MNIST IDX files in {folder}")


def synthetic(n: int = 60_000, n_test: int = 10_000, seed: int = 0) -> Dataset:
    """MNIST-shaped random data: class-dependent means so the losses go down a little."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(0, 1, (10, 784)).astype(np.float32)

    def make(m):
        y = rng.integers(0, 10, m).astype(np.int64)
        x = 0.5 * centers[y] + 0.5 * rng.uniform(0, 1, (m, 784)).astype(np.float32)
        return np.ascontiguousarray(x, dtype=np.float32), y

    x, y = make(n)
    xt, yt = make(n_test)
    return Dataset(x, y, xt, yt, f"synthetic MNIST-shaped data ({n} x 784, seed {seed})")
