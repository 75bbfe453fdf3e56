"""MNIST from a folder of its four original IDX files: 60000 training + 10000 test images."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ....compiler.tasks import CLASSIFICATION, Task, as_task
from ...errors import D002, D003, DataError
from ..raw import RawData
from . import register_reader
from .idx import idx_targets, images_to_x


def load_mnist(path: str, *, task: Task | str = CLASSIFICATION,
               base_dir: str | Path = ".") -> RawData:
    """MNIST from a folder of its four IDX files: 60000 training and 10000 test images."""
    from ..idx import MNIST_FILES, find_mnist_files, read_pair

    task = as_task(task)
    p = Path(os.path.expanduser(path))
    folder = p if p.is_absolute() else Path(base_dir) / p
    if not p.is_absolute() and not folder.is_dir() and (Path.cwd() / p).is_dir():
        folder = Path.cwd() / p
    if folder.is_file():
        raise DataError(f"mnist: '{path}' is a file; mnist(path) takes the folder that holds "
                        f"{', '.join(MNIST_FILES.values())} (gzipped or not)", D002, path)
    files = find_mnist_files(folder, path)

    def shown(key: str) -> str:
        return str(Path(path) / files[key].name)

    parts = []
    for split in ("train", "test"):
        xi, yi = f"{split}_images", f"{split}_labels"
        x, y = read_pair(files[xi], files[yi], shown(xi), shown(yi), num_classes=10)
        if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
            raise DataError(f"{shown(xi)}: MNIST images must be 28 x 28 uint8, this file holds "
                            f"{' x '.join(map(str, x.shape[1:]))} {x.dtype} images (use "
                            f"idx(images = ..., labels = ...) for other IDX data)", D003,
                            shown(xi))
        yy, _ = idx_targets(y, task, shown(yi), shown(yi), num_classes=10)
        parts.append((images_to_x(x), yy))
    (x, y), (xt, yt) = parts
    desc = f"mnist {path} ({x.shape[0]} train + {xt.shape[0]} test images, 1 x 28 x 28)"
    return RawData(x, y, None, 10 if task.class_labels else None, desc, "mnist",
                   path, x_test=xt, y_test=yt)


# a test-only mnist source still holds all ten classes: min_classes does not apply
register_reader("mnist", lambda options, *, task, base_dir, min_classes: load_mnist(
    options["path"], task=task, base_dir=base_dir))
