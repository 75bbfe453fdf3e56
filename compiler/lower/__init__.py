"""Lowering targets behind one interface, and the on-disk kernel cache.

A target turns the optimised training and prediction graphs into the source of one Python
module. The source is written to `<cache>/<target>_<sha256>.py` (write to a temporary file, then
rename) and imported from there, so a person can read exactly what ran; the compiled machine code
of its entry points is kept beside it (machine_code.py). Set RECIPEC_CACHE_DIR to move the cache.
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
from typing import Callable

from ..ir import Graph


@dataclass(frozen=True)
class Target:
    name: str
    # (parallel) -> source of the helpers shared by every recipe
    library: Callable[[bool], str]
    # (train, predict, parallel, batch, library module name, library source) -> source of the
    # recipe's kernels
    emit: Callable[[Graph, Graph, bool, int, str, str], str]


def _cpu_library(parallel: bool) -> str:
    from .cpu import emit_library

    return emit_library(parallel)


def _cpu_emit(train: Graph, predict: Graph, parallel: bool, batch: int, library: str,
              library_source: str) -> str:
    from .cpu import emit_module

    return emit_module(train, predict, parallel, batch, library, library_source)


TARGETS = {"cpu": Target("cpu", _cpu_library, _cpu_emit)}


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
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    return KernelModule(source, path, load_path(path))


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


def sources(train: Graph, predict: Graph, target: str = "cpu", parallel: bool = True,
            batch: int = 256) -> tuple[str, str]:
    """(library source, kernel module source); the module imports the library by the name
    load_source gives it."""
    library = TARGETS[target].library(parallel)
    name = f"recipec_{target}lib_{hashlib.sha256(library.encode()).hexdigest()[:24]}"
    return library, TARGETS[target].emit(train, predict, parallel, batch, name, library)


def lower(train: Graph, predict: Graph, target: str = "cpu", parallel: bool = True,
          batch: int = 256) -> KernelModule:
    """`batch` is the training batch size, a hint for which loops are worth parallelising.
    The shared library is loaded first, so that the module's `import *` finds it."""
    library, module = sources(train, predict, target, parallel, batch)
    lib = load_source(library, target, kind="lib")
    kernels = load_source(module, target)
    kernels.library = lib.path
    return kernels
