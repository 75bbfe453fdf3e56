"""An image folder in Keras' `image_dataset_from_directory` layout: which of its files are
images, and their pixels decoded with Pillow into one preallocated uint8 array.

    folder/cat/001.png  folder/cat/002.jpg  folder/dog/a.png ...

Classes are the subfolders, sorted by name; a class's images are the files under its folder
(in nested folders too, as Keras reads them) with an image suffix, sorted by their path
inside it. Hidden files and folders (a leading dot) are left out silently; other files are
left out and counted. The source reader (`sources/images.py`) turns problems into messages.
"""
from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
MODES = {"gray": "L", "rgb": "RGB"}

# Pillow releases the GIL while it decodes and resizes, but opening a file is Python: a pool
# pays only when the decoding dominates. 2000 files on 2 cores (one of them free): 256x256
# JPEGs -> 64x64 RGB took 1.51-2.03 s serially and 0.85-0.93 s on 2 threads; 24x24 PNGs ->
# 16x16 gray 0.16-0.19 s serially and 0.20 s on 2 threads, and 48x48 / 96x96 PNGs gained
# nothing either. So the pool starts at images of this many pixels (the first file's).
POOL_MIN_PIXELS = 128 * 128


@dataclass
class Listing:
    classes: tuple[str, ...]          # every non-hidden subfolder, sorted
    files: dict[str, list[str]]       # class -> its images' paths inside it ("a/1.png")
    ignored: int                      # non-image, non-hidden files (loose ones included)
    loose_images: int                 # image files directly in the folder, in no class


def list_folder(folder: Path) -> Listing:
    """What `folder` holds; OSError if it cannot be listed."""
    classes, loose, loose_images = [], 0, 0
    for entry in os.scandir(folder):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            classes.append(entry.name)
        elif entry.name.lower().endswith(IMAGE_SUFFIXES):
            loose_images += 1
        else:
            loose += 1
    classes.sort()
    files, ignored = {}, loose + loose_images
    for name in classes:
        found = []
        root = folder / name
        for here, dirs, names in os.walk(root, onerror=_raise):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            inside = Path(here).relative_to(root)
            for n in names:
                if n.startswith("."):
                    continue
                if n.lower().endswith(IMAGE_SUFFIXES):
                    found.append((inside / n).as_posix())
                else:
                    ignored += 1
        files[name] = sorted(found)
    return Listing(tuple(classes), files, ignored, loose_images)


def _raise(err: OSError) -> None:
    raise err


@dataclass(frozen=True)
class Failure:
    """Why one file gave no pixels: kind "unreadable" (Pillow cannot decode it), "bomb"
    (more pixels than Pillow's decompression-bomb limit) or "size" (not the size of the
    first image, when no `size` was given)."""
    index: int
    kind: str
    reason: str


def image_size(file: Path) -> tuple[int, int] | Failure:
    """(height, width) from the file's header alone, or why it gives no pixels (index 0)."""
    from PIL import Image

    try:
        with _quiet(), Image.open(file) as im:
            return _too_many_pixels(im, 0) or (im.height, im.width)
    except Image.DecompressionBombError as e:
        return Failure(0, "bomb", str(e))
    except Exception as e:          # noqa: BLE001 - as in decode(): the file's fault
        return Failure(0, "unreadable", _reason(e))


def _too_many_pixels(im, i: int) -> Failure | None:
    """Pillow only warns between its limit and twice it: refused here from the limit on."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and im.width * im.height > limit:
        return Failure(i, "bomb", f"{im.width} x {im.height} pixels, more than Pillow's limit "
                                  f"of {limit:,}")
    return None


def decode(files: list[Path], out: np.ndarray, color: str, resize: bool,
           stop_at_first: bool, workers: int | None = None) -> list[Failure]:
    """Decode `files[i]` into `out[i]` ([N, C, H, W] uint8, H and W the target size),
    converted to `color` and resized (bilinear) when `resize` and the size differs.

    Returns the failures in file order; with `stop_at_first` it stops at the first one (the
    files after it may be left undecoded). `workers` threads decode in parallel; by default
    the usable CPUs for images of POOL_MIN_PIXELS or more, else 1.
    """
    from PIL import Image

    mode, (h, w) = MODES[color], out.shape[2:]

    def one(i: int) -> Failure | None:
        try:
            with Image.open(files[i]) as im:        # reads the header only
                if bomb := _too_many_pixels(im, i):
                    return bomb
                im = _eight_bit(im).convert(mode)   # decodes
                if im.size != (w, h):
                    if not resize:
                        return Failure(i, "size", f"{im.height}x{im.width}")
                    im = im.resize((w, h), Image.Resampling.BILINEAR)
                pixels = np.asarray(im)
        except Image.DecompressionBombError as e:
            return Failure(i, "bomb", str(e))
        # NOTE: Pillow's plugins raise many types on malformed input (OSError, SyntaxError,
        # ValueError, struct.error, EOFError, IndexError, ...): each is this file's fault.
        except Exception as e:                      # noqa: BLE001
            return Failure(i, "unreadable", _reason(e))
        out[i] = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
        return None

    if workers is None:
        first = image_size(files[0]) if files else None
        large = isinstance(first, tuple) and first[0] * first[1] >= POOL_MIN_PIXELS
        workers = _usable_cpus() if large else 1
    failures = []
    with _quiet():
        if workers == 1:
            results = map(one, range(len(files)))
            failures = _collect(results, stop_at_first)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                failures = _collect(pool.map(one, range(len(files))), stop_at_first)
                if failures and stop_at_first:
                    pool.shutdown(wait=True, cancel_futures=True)
    return failures


def _collect(results, stop_at_first: bool) -> list[Failure]:
    failures = []
    for failure in results:
        if failure is not None:
            failures.append(failure)
            if stop_at_first:
                break
    return failures


def _eight_bit(im):
    """16- and 32-bit gray images as 8-bit gray: Pillow's own conversion clips every value
    above 255 to white; here 0..65535 maps to 0..255 (value / 257), as TensorFlow's
    decode_png does."""
    if not (im.mode.startswith("I;16") or im.mode == "I"):
        return im
    from PIL import Image

    a = np.asarray(im).astype(np.float64)
    return Image.fromarray(np.clip(np.rint(a / 257.0), 0, 255).astype(np.uint8), "L")


def _reason(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    first = text.splitlines()[0]
    return first if len(first) <= 160 else first[:157] + "..."


class _quiet(warnings.catch_warnings):
    """Pillow's DecompressionBombWarning is not shown: `decode` refuses those images itself
    (the filter is process-wide, so the pool's threads see it too)."""

    def __enter__(self):
        result = super().__enter__()
        from PIL import Image

        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return result


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:             # not on Linux
        return os.cpu_count() or 1
