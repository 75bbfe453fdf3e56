"""A folder of images, one subfolder per class: `images("data/train", size = [16, 16],
color = gray)` gives uint8 samples [C, H, W] (the model's layout) and class labels.

The labels are the indices of the sorted subfolder names, which are the class names; a
`test = images(...)` folder is matched to the training classes by name
(`targets.reconcile_labels`) and may lack some of them. Listing and decoding live in
`runtime/data/image_folder.py`.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ....compiler.check.memory import machine_memory, size_text
from ....compiler.diagnostics import printable
from ....compiler.tasks import CLASSIFICATION, Task, as_task
from ...errors import D002, D003, D004, DataError
from ..image_folder import IMAGE_SUFFIXES, Failure, decode, image_size, list_folder
from ..raw import RawData, resolve_path
from . import register_reader

SUFFIXES = " ".join(IMAGE_SUFFIXES)
NOT_FOUND_HINT = "create it, or point `path` at your folder of class subfolders"


def load_images(path: str, size: tuple[int, int] | None = None, color: str = "rgb",
                corrupt: str = "error", *, task: Task | str = CLASSIFICATION,
                base_dir: str | Path = ".", min_classes: int = 2) -> RawData:
    """Every image under `path`'s class subfolders, decoded, converted to `color` and
    resized to `size` ([H, W]; None: all must already share one size).

    `min_classes=1` (a test folder): it may hold one class, and a class folder without
    images is left out instead of refused."""
    origin = f"images {path}"
    if not as_task(task).class_labels:
        raise DataError(f"{origin}: images(...) gives class labels (one per subfolder), but "
                        f"the loss fits numeric targets", D004, path,
                        hint="use a classification loss such as `loss = cross_entropy`")
    try:
        folder = resolve_path(path, base_dir, what="folder")
    except DataError as err:
        err.hint = NOT_FOUND_HINT
        raise
    if not folder.is_dir():
        raise DataError(f"{origin}: is a file, not a folder; images(path) takes a folder with "
                        f"one subfolder of images per class", D002, path)
    try:
        listing = list_folder(folder)
    except OSError as e:
        raise DataError(f"{origin}: cannot list the folder: {e.strerror or e}", D002,
                        path) from None
    classes, files = _classes(listing, origin, path, test=min_classes < 2)
    if len(classes) < min_classes:
        raise DataError(f"{origin}: only one class folder ({classes[0]!r}); classification "
                        f"needs at least 2", D004, path,
                        hint="put each class's images in a subfolder of its own")
    paths = [folder / c / f for c in classes for f in files[c]]
    shown = [f"{c}/{f}" for c in classes for f in files[c]]
    y = np.repeat(np.arange(len(classes), dtype=np.int64), [len(files[c]) for c in classes])

    channels = 1 if color == "gray" else 3
    h, w = size if size is not None else _first_size(paths, shown, origin, path, corrupt)
    _check_memory(len(paths), channels, h, w, origin, path)
    x = np.empty((len(paths), channels, h, w), np.uint8)
    failures = decode(paths, x, color, resize=size is not None,
                      stop_at_first=corrupt == "error")
    refused = [f for f in failures if f.kind != "unreadable" or corrupt == "error"]
    if refused:
        raise _failure_error(refused[0], shown, origin, path, (h, w))
    skipped = len(failures)
    if skipped:
        keep = np.setdiff1d(np.arange(len(paths)), [f.index for f in failures])
        if keep.size == 0:
            raise DataError(f"{origin}: none of its {len(paths)} images could be read (the "
                            f"first: {shown[failures[0].index]}: {failures[0].reason})",
                            D003, path)
        x, y = x[keep], y[keep]
        present = np.unique(y)
        if present.size < min_classes:
            raise DataError(f"{origin}: only images of class {classes[present[0]]!r} could be "
                            f"read ({skipped} skipped); classification needs at least 2 classes",
                            D004, path)
    notes = [f"{skipped} unreadable skipped"] if skipped else []
    if listing.ignored:
        notes.append(f"{_count(listing.ignored, 'other file')} ignored")
    k = len(classes)
    desc = (f"images {printable(path)} ({_count(x.shape[0], 'image')}, "
            f"{k} class{'es' if k != 1 else ''}, {h}x{w} {color}"
            f"{''.join(', ' + n for n in notes)})")
    return RawData(x, y, tuple(classes), len(classes), desc, origin, path)


def _classes(listing, origin: str, path: str, test: bool) -> tuple[list[str], dict]:
    """The class names and their files; an empty layout or class is refused (D003) with
    what was found. A test folder leaves its empty classes out."""
    files, classes = listing.files, list(listing.classes)
    found = sum(len(v) for v in files.values())
    layout = f"expected {path}/<class>/<image>, e.g. {path}/cat/001.png ({SUFFIXES})"
    if not classes:
        if listing.ignored == 0:
            raise DataError(f"{origin}: the folder is empty; {layout}", D003, path)
        what = (f"{listing.loose_images} image files directly in it"
                if listing.loose_images else f"{listing.ignored} files, none of them an image")
        raise DataError(f"{origin}: no class subfolders, only {what}; {layout}", D003, path,
                        hint="put each class's images in a subfolder named after the class")
    if found == 0:
        others = f", {_count(listing.ignored, 'other file')}" if listing.ignored else ""
        raise DataError(f"{origin}: its {_count(len(classes), 'class folder')} "
                        f"({_names(classes)}) hold no images ({SUFFIXES}{others})", D003, path)
    empty = [c for c in classes if not files[c]]
    if empty and not test:
        raise DataError(f"{origin}: class folder {empty[0]!r} holds no images ({SUFFIXES})"
                        + (f", nor do {len(empty) - 1} more" if len(empty) > 1 else ""),
                        D003, path, hint="add its images, or remove the folder")
    return [c for c in classes if files[c]], files


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _names(classes: list[str], most: int = 5) -> str:
    shown = ", ".join(repr(c) for c in classes[:most])
    return shown + (f", ... ({len(classes)} in all)" if len(classes) > most else "")


def _first_size(paths: list[Path], shown: list[str], origin: str, path: str,
                corrupt: str) -> tuple[int, int]:
    """The size every image must have when `size` is left out: the first readable one's."""
    for i, file in enumerate(paths):
        hw = image_size(file)
        if isinstance(hw, tuple):
            return hw
        if corrupt == "error" or hw.kind == "bomb":
            raise _failure_error(replace(hw, index=i), shown, origin, path, (0, 0))
    raise DataError(f"{origin}: none of its {len(paths)} images could be read", D003, path)


def _check_memory(n: int, c: int, h: int, w: int, origin: str, path: str) -> None:
    """The decoded pixels are held in memory (uint8) until the data cache or the streaming
    of data beyond its `memory` budget takes them to disk: they must fit the machine."""
    need, have = n * c * h * w, machine_memory()
    if have is not None and need > have:
        raise DataError(f"{origin}: {n:,} images of {c} x {h} x {w} bytes need "
                        f"{size_text(need)}, more than this machine's memory "
                        f"({size_text(have)})", D003, path, hint="give a smaller `size`")


def _failure_error(f: Failure, shown: list[str], origin: str, path: str,
                   hw: tuple[int, int]) -> DataError:
    name = printable(shown[f.index])
    if f.kind == "bomb":
        return DataError(f"{origin}: {name} is refused as a decompression bomb ({f.reason})",
                         D002, path, hint="shrink the image, or remove it")
    if f.kind == "size":
        first = printable(shown[0])
        return DataError(f"{origin}: {name} is {f.reason} pixels but {first} is "
                         f"{hw[0]}x{hw[1]}; without `size` every image must have the same size",
                         D003, path, hint=f"add `size = [{hw[0]}, {hw[1]}]` to images(...) to "
                                          f"resize them all")
    return DataError(f"{origin}: {name} is not a readable image ({f.reason})", D002, path,
                     hint="replace or remove it, or add `corrupt = skip` to images(...) to "
                          "leave out the files that cannot be read")


# decoded once: a later run maps the stored array until a file in the folder changes
register_reader("images", lambda options, *, task, base_dir, min_classes: load_images(
    options["path"], options["size"], options["color"], options["corrupt"], task=task,
    base_dir=base_dir, min_classes=min_classes), cache=True)
