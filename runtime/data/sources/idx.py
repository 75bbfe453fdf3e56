"""One pair of IDX files (images, labels), gzipped or not; every row is a training row.

The IDX format itself is parsed by `runtime/data/idx.py`; the helpers here are shared with the
MNIST reader (`mnist.py`), which reads two such pairs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ....compiler.tasks import CLASSIFICATION, Task, as_task
from ...errors import D002, DataError
from ..raw import RawData, check_finite, resolve_path
from ..targets import encode_targets
from . import register_reader


def idx_file(path: str, base_dir: str | Path) -> Path:
    file = resolve_path(path, base_dir)
    if file.is_dir():
        raise DataError(f"{path}: is a folder, not an IDX file", D002, path)
    return file


def images_to_x(images: np.ndarray) -> np.ndarray:
    """[N, rows, cols] -> [N, 1, rows, cols] (one channel); other ranks as they are."""
    return images[:, None] if images.ndim == 3 else images


def idx_targets(labels: np.ndarray, task: Task, origin: str, path: str,
                num_classes: int | None = None, min_classes: int = 2
                ) -> tuple[np.ndarray, int | None]:
    """Labels for `task`; class labels already range-checked by the parser (`num_classes`)
    are taken as they are."""
    if task.class_labels and num_classes is not None:
        return np.ascontiguousarray(labels, dtype=np.int64), num_classes
    y, k, _ = encode_targets(labels, task, origin, path, min_classes=min_classes)
    return y, k


def load_idx(images: str, labels: str, *, task: Task | str = CLASSIFICATION,
             base_dir: str | Path = ".", min_classes: int = 2) -> RawData:
    """One (images, labels) pair of IDX files; images of any size, all rows for training."""
    from ..idx import read_pair

    task = as_task(task)
    x, y = read_pair(idx_file(images, base_dir), idx_file(labels, base_dir), images, labels)
    if x.dtype.kind == "f":
        check_finite(x, images, images, lambda i: f"image {i}")
    yy, k = idx_targets(y, task, labels, labels, min_classes=min_classes)
    x = images_to_x(x)
    desc = f"idx {images} ({x.shape[0]} rows, features {tuple(x.shape[1:])})"
    return RawData(x, yy, None, k, desc, images, images)


register_reader("idx", lambda options, *, task, base_dir, min_classes: load_idx(
    options["images"], options["labels"], task=task, base_dir=base_dir,
    min_classes=min_classes))
