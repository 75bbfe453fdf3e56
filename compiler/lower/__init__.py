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


class TargetUnavailable(Exception):
    """The target cannot run on this machine, or cannot run this recipe: `code` X001 (a
    package missing), X002 (no device or driver), X003 (an op the target has no kernel for);
    `hint` says what to do instead. The command line prints it as `recipec: error[X00n]`."""

    def __init__(self, message: str, code: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.code, self.hint = message, code, hint

    def render(self) -> str:
        return f"error[{self.code}]: {self.message}" + (
            f"\n  = help: {self.hint}" if self.hint else "")


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
    # ops the pipeline can leave that this target has no kernel for yet (refused with X003)
    pending: frozenset = frozenset()
    # other forms of its code `recipec compile --emit KIND` prints: KIND -> (graphs) -> text
    emits: dict[str, Callable[..., str]] = field(default_factory=dict)


def _cpu() -> Target:
    from . import cpu

    return Target("cpu", cpu.PASSES, cpu.compile, cpu.emitted_ops, cpu.listing,
                  cpu.check_settings,
                  "Numba @njit/cfunc kernels for the host CPU, parallel with prange")


def _cuda() -> Target:
    from . import cuda

    return Target("cuda", cuda.PASSES, cuda.compile, cuda.emitted_ops, cuda.listing,
                  cuda.check_settings,
                  "Numba CUDA kernels: each chunk of steps one cooperative kernel launch",
                  cuda.PENDING, {"ptx": cuda.ptx_listing})


_FACTORIES: dict[str, Callable[[], Target]] = {"cpu": _cpu, "cuda": _cuda}
_LOADED: dict[str, Target] = {}
TARGETS = tuple(_FACTORIES)


def get_target(name: str) -> Target:
    if name not in _FACTORIES:
        raise ValueError(f"unknown target {name!r}; known: {', '.join(_FACTORIES)}")
    if name not in _LOADED:
        _LOADED[name] = _FACTORIES[name]()
    return _LOADED[name]
