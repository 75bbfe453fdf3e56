"""Is this file the columnar file its source says? The checks parquet(...) and feather(...)
make before pyarrow reads it, and pyarrow's own errors while it does: a wrong, empty or cut
file is a D002 that names it, never pyarrow's traceback."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from ...errors import D002, DataError

# what a file that is not the one expected starts with, and what to say about it
OTHER_FORMATS = (
    (b"PAR1", "it is a Parquet file: read it with parquet(...)"),
    (b"ARROW1", "it is an Arrow IPC (Feather) file: read it with feather(...)"),
    (b"PK\x03\x04", "it is a zip archive (an .npz? read it with npz(...))"),
    (b"\x93NUMPY", "it is a NumPy .npy array: read it with npy(...)"),
    (b"\x80", "it looks like a pickle, which is never loaded"),
    (b"\x1f\x8b", "it is gzip-compressed"),
)


def check_file(file: Path, path: str, kind: str, magic: bytes) -> None:
    """`file` exists (resolve_path said so); refuse a folder, an empty file, one that does not
    start with `magic` and one that does not end with it (the format writes it at both ends:
    a file without the last copy was cut short)."""
    if file.is_dir():
        raise DataError(f"{path}: is a folder, not a {kind} file", D002, path)
    try:
        size = file.stat().st_size
        with open(file, "rb") as f:
            head = f.read(64)
            f.seek(max(size - len(magic), 0))
            tail = f.read(len(magic))
    except OSError as e:
        raise DataError(f"{path}: cannot read the file: {e.strerror or e}", D002, path) from None
    if size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes), not a {kind} file", D002, path)
    if not head.startswith(magic):
        raise DataError(f"{path}: not a {kind} file (it does not start with {magic!r}); "
                        f"{_what_it_is(head)}", D002, path)
    if size < 2 * len(magic) or tail != magic:
        raise DataError(f"{path}: truncated {kind} file (it does not end with {magic!r}, "
                        f"as a complete one does; {size} bytes)", D002, path)


def starts_with(file: Path, magic: bytes) -> bool:
    """Whether `file` is a readable file that starts with `magic` (check_file says why not)."""
    try:
        with open(file, "rb") as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False


def _what_it_is(head: bytes) -> str:
    for start, says in OTHER_FORMATS:
        if head.startswith(start):
            return says
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:                # not merely a character cut at byte 64
            return "its first bytes are not a known format"
    if b"," in head or b"\n" in head:
        return "it looks like text (a CSV file? read it with csv(...))"
    return "it looks like text"


@contextlib.contextmanager
def read_errors(path: str, kind: str) -> Iterator[None]:
    """pyarrow's errors while reading a file that passed `check_file`: a corrupt one."""
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowException, OSError, ValueError) as e:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"{path}: corrupt {kind} file ({detail})", D002, path) from None
