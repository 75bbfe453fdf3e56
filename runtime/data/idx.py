"""IDX files (the MNIST format), plain or gzipped, read with `numpy.frombuffer` (no pickle).

IDX layout (big-endian): two zero bytes, a dtype code (0x08 = uint8, ...), the number of
dimensions d, then d uint32 sizes, then the values in C order. MNIST images have magic 2051
(0x00000803: uint8, 3 dims [N, rows, cols]) and labels 2049 (0x00000801: uint8, 1 dim [N]).
Gzip is detected by its magic bytes (1f 8b), not by the file name.

Every problem raises a `DataError` that names the file:
  D001 missing file, D002 corrupt gzip / bad magic / truncated or oversized file,
  D003 image/label count mismatch or wrong image size, D004 label out of range.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from ..errors import D001, D002, D003, D004, DataError

GZIP_MAGIC = b"\x1f\x8b"
IMAGES_MAGIC = 2051            # 0x00000803
LABELS_MAGIC = 2049            # 0x00000801
# IDX dtype codes -> numpy dtypes (big-endian where it matters)
DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

# The four files of the official distribution, each also accepted with a `.gz` suffix and with
# the dot spelling some mirrors use (train-images.idx3-ubyte).
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_file_bytes(file: str | Path, name: str | None = None) -> bytes:
    """The file's contents, gunzipped when it starts with the gzip magic bytes."""
    name = name or str(file)
    try:
        raw = Path(file).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{name}: IDX file not found", D001, name) from None
    except IsADirectoryError:
        raise DataError(f"{name}: is a folder, not an IDX file", D002, name) from None
    except OSError as e:
        raise DataError(f"{name}: cannot read the file: {e.strerror or e}", D002, name) from None
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{name}: corrupt gzip data ({e or 'truncated stream'})", D002,
                        name) from None


def _magic_text(magic: int) -> str:
    return f"{magic} (0x{magic:08X})"


def parse_idx(buf: bytes, name: str, expect_magic: int | None = None,
              what: str = "data") -> np.ndarray:
    """Decode one IDX buffer into an array of the header's shape (native byte order).

    `expect_magic` (2051 images, 2049 labels) is checked exactly; `what` names the payload in
    size messages ("image", "label").
    """
    n = len(buf)
    if n < 4:
        raise DataError(f"{name}: too short for an IDX file ({n} bytes; the header alone is at "
                        f"least 4)", D002, name)
    magic = int.from_bytes(buf[:4], "big")
    zero, code, ndim = int.from_bytes(buf[:2], "big"), buf[2], buf[3]
    kinds = {IMAGES_MAGIC: "IDX images", LABELS_MAGIC: "IDX labels"}
    if expect_magic is not None and magic != expect_magic:
        msg = (f"{name}: bad magic number {_magic_text(magic)}; expected "
               f"{_magic_text(expect_magic)} for {kinds.get(expect_magic, 'this IDX file')}")
        if magic in kinds:
            msg += f" (this is an {kinds[magic]} file: are the file names swapped?)"
        elif buf[:2] == GZIP_MAGIC:
            msg += " (the data is gzipped twice)"
        raise DataError(msg, D002, name)
    if zero != 0 or code not in DTYPES or ndim == 0:
        raise DataError(f"{name}: not an IDX file (bad magic number {_magic_text(magic)}: "
                        f"expected two zero bytes, a dtype code in "
                        f"{', '.join(f'0x{c:02X}' for c in DTYPES)} and at least 1 dimension)",
                        D002, name)
    header = 4 + 4 * ndim
    if n < header:
        raise DataError(f"{name}: truncated IDX header: expected {header} bytes for "
                        f"{ndim} dimensions, found {n}", D002, name)
    shape = tuple(int(d) for d in np.frombuffer(buf, dtype=">u4", count=ndim, offset=4))
    dtype = DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = n - header
    if found < expected:
        raise DataError(f"{name}: truncated: expected {expected} bytes of {what} data, found "
                        f"{found} (header says {' x '.join(map(str, shape))})", D002, name)
    if found > expected:
        raise DataError(f"{name}: expected {expected} bytes of {what} data, found {found} "
                        f"({found - expected} extra bytes after the data the header describes)",
                        D002, name)
    arr = np.frombuffer(buf, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    arr = arr.reshape(shape)
    return arr if dtype.byteorder in ("=", "|") else arr.astype(dtype.newbyteorder("="))


def read_idx(file: str | Path, name: str | None = None,
             expect_magic: int | None = None, what: str = "data") -> np.ndarray:
    """Read any IDX file (plain or gzipped) into an array of the shape in its header."""
    name = name or str(file)
    return parse_idx(read_file_bytes(file, name), name, expect_magic, what)


def read_images(file: str | Path, name: str | None = None) -> np.ndarray:
    """uint8 images [N, rows, cols] from an IDX images file (magic 2051)."""
    return read_idx(file, name, IMAGES_MAGIC, "image")


def read_labels(file: str | Path, name: str | None = None,
                num_classes: int | None = None) -> np.ndarray:
    """uint8 labels [N] from an IDX labels file (magic 2049), checked < num_classes if given."""
    name = name or str(file)
    labels = read_idx(file, name, LABELS_MAGIC, "label")
    if num_classes is not None and labels.size and int(labels.max()) >= num_classes:
        i = int(np.argmax(labels >= num_classes))
        raise DataError(f"{name}: label {int(labels[i])} at row {i} is out of range "
                        f"0..{num_classes - 1}", D004, name)
    return labels


def read_pair(images: str | Path, labels: str | Path, images_name: str | None = None,
              labels_name: str | None = None,
              num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images [N, rows, cols] uint8, labels [N] uint8) from matching IDX files."""
    images_name = images_name or str(images)
    labels_name = labels_name or str(labels)
    x = read_images(images, images_name)
    y = read_labels(labels, labels_name, num_classes)
    if x.shape[0] != y.shape[0]:
        raise DataError(f"{images_name} has {x.shape[0]} images but {labels_name} has "
                        f"{y.shape[0]} labels; they must have the same count", D003,
                        images_name)
    if x.shape[0] == 0:
        raise DataError(f"{images_name}: holds no images (0 rows)", D003, images_name)
    return x, y


def write_idx(file: str | Path, arr: np.ndarray, compress: bool = False) -> None:
    """Write `arr` as an IDX file (used by tests and tools); dtype must be one IDX supports."""
    arr = np.asarray(arr)
    codes = {np.dtype(v).newbyteorder(">") if v.itemsize > 1 else v: k
             for k, v in DTYPES.items()}
    be = arr.dtype.newbyteorder(">") if arr.dtype.itemsize > 1 else arr.dtype
    if be not in codes:
        raise ValueError(f"IDX has no dtype code for {arr.dtype}")
    header = bytes([0, 0, codes[be], arr.ndim]) + np.asarray(arr.shape, ">u4").tobytes()
    data = header + np.ascontiguousarray(arr, dtype=be).tobytes()
    Path(file).write_bytes(gzip.compress(data, compresslevel=1) if compress else data)


def find_mnist_files(folder: Path, shown: str) -> dict[str, Path]:
    """Locate the four MNIST files in `folder` (name or name.gz, '-' or '.' before idx)."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key, base in MNIST_FILES.items():
        dotted = base.replace("-idx", ".idx")
        for cand in (base, base + ".gz", dotted, dotted + ".gz"):
            p = folder / cand
            if p.is_file():
                found[key] = p
                break
        else:
            missing.append(base)
    if missing:
        where = str(folder.resolve()) if folder.is_dir() else str(folder.absolute())
        names = ", ".join(f"{b}[.gz]" for b in MNIST_FILES.values())
        lack = ", ".join(missing)
        state = "" if folder.is_dir() else " (the folder does not exist)"
        raise DataError(f"mnist: missing {lack} in '{shown}'{state}. mnist(path) expects the "
                        f"four original IDX files, gzipped or not, in the folder {where}: "
                        f"{names}. recipec does not download data: get them from an MNIST "
                        f"mirror (e.g. the files LeCun and Cortes distribute) and put them "
                        f"there", D001, shown)
    return found
