"""The on-disk kernel cache: generated modules by content hash, readable by a person.

A target turns the optimised graphs into the source of a Python module. The source is written
to `<cache>/<name>_<sha256>.py` (to a temporary file, then renamed) and imported from there, so
a person can read exactly what ran; a target may keep compiled machine code beside it
(lower/cpu/machine_code.py). Set RECIPEC_CACHE_DIR to move the cache.

Nothing in the cache is trusted as it is found: a module whose text is not the source it was
named after is written again, and the text imported is the generated source itself; its
bytecode is checked against that source and against its own checksum (lower/bytecode.py);
machine code carries its checksum and what it was compiled for (lower/cpu/machine_code.py).
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from . import bytecode


def cache_dir() -> Path:
    root = os.environ.get("RECIPEC_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "recipec")
    path = Path(root) / "kernels"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return _stand_in(path, err)
    return path


_STAND_IN: list[Path] = []


def _stand_in(path: Path, err: OSError) -> Path:
    """A cache that cannot be created or written is not fatal: this process compiles into a
    temporary folder of its own (removed at exit), once, with a warning."""
    if not _STAND_IN:
        import atexit
        import shutil

        folder = Path(tempfile.mkdtemp(prefix="recipec-kernels-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _STAND_IN.append(folder)
        print(f"recipec: warning: the kernel cache {path} cannot be written "
              f"({err.strerror or err}); compiling into a temporary folder (set "
              f"RECIPEC_CACHE_DIR to keep the kernels)", file=sys.stderr)
    return _STAND_IN[0]


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
        try:
            _write(path, source)
        except OSError as err:
            path = _stand_in(path.parent, err) / path.name
            _write(path, source)
    return KernelModule(source, path, load_path(path, source))


def _write(path: Path, source: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


class _CheckedLoader(importlib.machinery.SourceFileLoader):
    """Imports a generated module from its source (given, or read from its file), with its
    bytecode from lower/bytecode.py: Python's __pycache__ is neither read nor written."""

    def __init__(self, name: str, path: str, source: bytes | None = None):
        super().__init__(name, path)
        self._source = source

    def get_code(self, fullname):
        source = self._source if self._source is not None else self.get_data(self.path)
        return bytecode.code_for(self.path, source)


def load_path(path: Path, source: str | None = None) -> ModuleType:
    """Import a generated module from its file (once per process; named after the file).
    `source`, when given, is what runs (load_source has just made the file hold it)."""
    name = path.stem
    if name in sys.modules:
        return sys.modules[name]
    loader = _CheckedLoader(name, str(path), None if source is None else source.encode())
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    spec.cached = str(bytecode.path(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
