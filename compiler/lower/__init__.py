"""Lowering targets behind one interface.

A `Target` names its pass list (the IR passes it wants, in order), the ops its emitters cover,
and `compile(graphs, options) -> Executable` (lower/executable.py), the one object the runtime
calls. Everything target-specific (generated source, kernel libraries, caches, threading)
lives in the target's package: lower/cpu/ for Numba CPU. The kernel ABI both the executable
and the targets follow is lower/abi.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..passes import Pass
from .cache import KernelModule, cache_dir, load_path, load_source  # noqa: F401
from .executable import Executable  # noqa: F401


@dataclass(frozen=True)
class CompileOptions:
    parallel: bool | None = None   # None: the target decides (the CPU: its threading layout)
    batch: int = 256               # the training batch, a hint for what is worth parallelising
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    name: str
    passes: tuple[Pass, ...]
    # StepGraphs (after passes), CompileOptions -> Executable
    compile: Callable[..., Executable]
    # the op names this target can emit (elementwise ops count when it renders formulas)
    emitted_ops: Callable[[], set[str]]
    # StepGraphs, CompileOptions -> the generated source, without compiling anything
    listing: Callable[..., str]
    # raises ValueError for a setting of this target's that cannot work (an environment value)
    check_settings: Callable[[], None] = lambda: None
    doc: str = ""


def _cpu() -> Target:
    from . import cpu

    return Target("cpu", cpu.PASSES, cpu.compile, cpu.emitted_ops, cpu.listing,
                  cpu.check_settings,
                  "Numba @njit/cfunc kernels for the host CPU, parallel with prange")


_FACTORIES: dict[str, Callable[[], Target]] = {"cpu": _cpu}
_LOADED: dict[str, Target] = {}
TARGETS = tuple(_FACTORIES)


def get_target(name: str) -> Target:
    if name not in _FACTORIES:
        raise ValueError(f"unknown target {name!r}; known: {', '.join(_FACTORIES)}")
    if name not in _LOADED:
        _LOADED[name] = _FACTORIES[name]()
    return _LOADED[name]
