"""The on-disk kernel cache: generated modules by content hash, readable by a person.

A target turns the optimised graphs into the source of a Python module. The source is written
to `<cache>/<name>_<sha256>.py` (to a temporary file, then renamed) and imported from there, so
a person can read exactly what ran; a target may keep compiled machine code beside it
(lower/cpu/machine_code.py). Set RECIPEC_CACHE_DIR to move the cache.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType


def cache_dir() -> Path:
    root = os.environ.get("RECIPEC_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "recipec")
    path = Path(root) / "kernels"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class KernelModule:
    source: str
    path: Path
    module: ModuleType
    library: Path | None = None       # the shared helper library the module imports


def load_source(source: str, target: str, kind: str = "") -> KernelModule:
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    name = f"recipec_{target}{kind}_{digest}"
    path = cache_dir() / f"{name}.py"
    # a file that is missing, or damaged since it was written (its content is its name's
    # hash), is written again: the cache can never make a run fail
    if not path.exists() or _read(path) != source:
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    return KernelModule(source, path, load_path(path))


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def load_path(path: Path) -> ModuleType:
    """Import a generated module from its file (once per process; named after the file)."""
    name = path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # The cache is ours: keep the modules' bytecode next to them even under
    # PYTHONDONTWRITEBYTECODE, or every start compiles them from source again (measured:
    # 0.1 s of a convnet's 0.5 s warm start)
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module
