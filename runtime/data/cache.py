"""Parsed data kept on disk: a big CSV (or Parquet file, or image folder) is parsed once.

    raw = cached_read("csv", options, file, task, read)   # read() on a miss, then stored

An entry is a folder of .npy arrays (never pickled) and a meta.json, named by a key over
everything the result depends on: the source's kind and options, the task, the reader format
version, and the file's fingerprint (its resolved path, size, modification time and a hash of
its first and last MiB; for a folder, every file's relative path, size and time). Entries are
written to a temporary folder and renamed into place, so a crash never leaves a half entry;
an entry that fails to load is removed and the source read again. Arrays come back
memory-mapped, which is also what lets data larger than its memory budget stream (rows.py).

Where: RECIPEC_DATA_CACHE, else $XDG_CACHE_HOME/recipec/data (~/.cache/recipec/data). Sources
under RECIPEC_DATA_CACHE_MIN_BYTES (1 MiB) read faster than a cache lookup and are not kept;
beyond RECIPEC_DATA_CACHE_MAX_BYTES (10 GiB) the least recently used entries are removed.
`recipec run --no-data-cache` (and `cache=False` in the API) neither reads nor writes it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .raw import RawData

FORMAT = 2                      # bump when a reader's output for the same file changes
EDGE_BYTES = 1 << 20            # hashed at each end of a file for its fingerprint
ARRAYS = ("x", "y", "x_test", "y_test")


def cache_dir() -> Path:
    if os.environ.get("RECIPEC_DATA_CACHE"):
        return Path(os.environ["RECIPEC_DATA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "recipec" / "data"


def _env_bytes(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else default


def fingerprint(path: Path) -> tuple[dict, int]:
    """What identifies the contents of `path` (a file or a folder) cheaply, and its bytes."""
    path = path.resolve()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        listing = [(str(p.relative_to(path)), p.stat().st_size, p.stat().st_mtime_ns)
                   for p in files]
        digest = hashlib.sha256(json.dumps(listing).encode()).hexdigest()
        return {"folder": str(path), "files": digest}, sum(size for _, size, _ in listing)
    st = path.stat()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(EDGE_BYTES))
        if st.st_size > EDGE_BYTES:
            f.seek(max(EDGE_BYTES, st.st_size - EDGE_BYTES))
            h.update(f.read(EDGE_BYTES))
    return {"file": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "edges": h.hexdigest()}, st.st_size


def entry_key(kind: str, options: dict[str, Any], print_: dict, task: str,
              min_classes: int) -> str:
    described = json.dumps({"format": FORMAT, "kind": kind, "options": options,
                            "fingerprint": print_, "task": task, "min_classes": min_classes},
                           sort_keys=True, default=str)
    return hashlib.sha256(described.encode()).hexdigest()[:32]


def cached_read(kind: str, options: dict[str, Any], path: Path, task: str, min_classes: int,
                read: Callable[[], RawData]) -> RawData:
    """`read()`'s result for this source, from the cache when an entry matches, else read
    and (when worth it) stored. A cache that cannot be written is only not used."""
    try:
        print_, size = fingerprint(path)
    except OSError:
        return read()               # the reader names the problem with the file
    key = entry_key(kind, options, print_, task, min_classes)
    root = cache_dir()
    entry = root / key
    hit = _load(entry)
    if hit is not None:
        return hit
    start = time.perf_counter()
    raw = read()
    if raw.text:                 # text columns (categorical.py) are not kept: parsed each run
        return raw
    if size >= _env_bytes("RECIPEC_DATA_CACHE_MIN_BYTES", 1 << 20) or \
            time.perf_counter() - start > 0.5:
        try:
            _store(root, key, raw)
            _evict(root, _env_bytes("RECIPEC_DATA_CACHE_MAX_BYTES", 10 << 30), keep=key)
            stored = _load(entry)
            if stored is not None:   # memory-mapped from now on: the parsed copy can go
                return stored
        except OSError:
            pass
    return raw


def _load(entry: Path) -> RawData | None:
    try:
        meta = json.loads((entry / "meta.json").read_text())
        if meta.get("format") != FORMAT:
            raise ValueError("another format")
        arrays = {}
        for name in ARRAYS:
            if name in meta["arrays"]:
                arrays[name] = np.load(entry / f"{name}.npy", allow_pickle=False,
                                       mmap_mode="r" if name.startswith("x") else None)
        if arrays["x"].shape[0] != arrays["y"].shape[0]:
            raise ValueError("rows differ")
        os.utime(entry / "meta.json")          # recently used: the last to be evicted
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        shutil.rmtree(entry, ignore_errors=True)   # damaged: read the source again
        return None
    names, columns = meta.get("class_names"), meta.get("feature_names")
    return RawData(arrays["x"], arrays["y"], tuple(names) if names is not None else None,
                   meta.get("num_classes"), meta["description"], meta["origin"],
                   meta.get("path"), arrays.get("x_test"), arrays.get("y_test"),
                   feature_names=tuple(columns) if columns else None)


def _store(root: Path, key: str, raw: RawData) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{key}.tmp-", dir=root))
    try:
        present = []
        for name in ARRAYS:
            array = getattr(raw, name)
            if array is None:
                continue
            with open(tmp / f"{name}.npy", "wb") as f:
                np.save(f, np.asarray(array), allow_pickle=False)
                f.flush()
                os.fsync(f.fileno())
            present.append(name)
        meta = {"format": FORMAT, "arrays": present, "description": raw.description,
                "origin": raw.origin, "path": raw.path, "num_classes": raw.num_classes,
                "class_names": list(raw.class_names) if raw.class_names is not None else None,
                "feature_names": list(raw.feature_names) if raw.feature_names else None}
        with open(tmp / "meta.json", "w") as f:
            json.dump(meta, f)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.rename(tmp, root / key)
        except OSError:              # another process stored the same entry first
            return
        _fsync_dir(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _evict(root: Path, limit: int, keep: str) -> None:
    """Remove least recently used entries until the cache holds at most `limit` bytes."""
    entries = []
    for entry in root.iterdir():
        meta = entry / "meta.json"
        if entry.is_dir() and meta.exists():
            size = sum(p.stat().st_size for p in entry.iterdir())
            entries.append((meta.stat().st_mtime, entry, size))
    total = sum(size for _, _, size in entries)
    for _, entry, size in sorted(entries):
        if total <= limit:
            break
        if entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)
            total -= size


def on_disk(x: np.ndarray) -> np.ndarray:
    """`x` memory-mapped: itself if it already is, else written to a temporary .npy file
    that is mapped and unlinked at once (its pages stay readable until `x` is freed)."""
    if isinstance(x, np.memmap):
        return x
    for folder in (cache_dir() / "spill", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(suffix=".npy", dir=folder)
        except OSError:
            continue
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, np.ascontiguousarray(x), allow_pickle=False)
            return np.load(name, mmap_mode="r", allow_pickle=False)
        finally:
            os.unlink(name)
    return x                     # nowhere to write: stream from memory (still correct)
