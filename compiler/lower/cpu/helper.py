"""One helper process that compiles C entry points into the machine-code cache meanwhile.

Numba compiles one function at a time per process (a global compiler lock) and a cold compile
is all CPU, so with two cores a second process can compile some entries while this one
compiles the others; this process then loads them from the shared machine-code cache
(machine_code.py). Two places use it:
  the helper library's kernels (entry.py `require`): every other uncached one, ~20 s of a
      convnet's first compile alone;
  the recipe's predict_chunk (CpuExecutable.warm_up), 20-30 % of a cold recipe compile, while
      this process compiles train_chunk.
Only a speed-up: if the helper fails, is slow or cannot start, this process compiles what is
missing itself. It is started only when there is a second core and something to compile.

    python -m recipec.compiler.lower.cpu.helper FILE... -- NAME...
imports the generated modules FILE... in order (a kernel module after its library) and
compiles each NAME of the last one: a library kernel or a kernel module's entry.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cached(module_file: str, name: str) -> bool:
    """Whether the machine-code cache already holds entry `name` of a generated module."""
    from . import machine_code

    return machine_code.cached(str(module_file), name)


def start(files: list, names: list[str], stderr=subprocess.DEVNULL):
    """A running helper compiling `names` of the last of `files`, or None (one core, nothing
    to do, or no process could be started)."""
    if (os.cpu_count() or 1) < 2 or not names:
        return None
    try:
        return subprocess.Popen([sys.executable, "-m", __name__, *map(str, files), "--",
                                 *names], stdout=subprocess.DEVNULL, stderr=stderr)
    except OSError:
        return None


def finish(helper, timeout: float = 600.0) -> None:
    """Wait for the helper (bounded); whatever happened, the caller compiles what is missing."""
    if helper is None:
        return
    try:
        helper.wait(timeout=timeout)
    except Exception:       # noqa: BLE001 - stuck or interrupted: what it left, we compile
        helper.kill()


def _main(argv: list[str]) -> int:
    from ..cache import load_path

    cut = argv.index("--")
    module = None
    for file in argv[:cut]:
        module = load_path(Path(file))
    for name in argv[cut + 1:]:
        if name in getattr(module, "_ENTRIES", {}):
            module._load(name)                  # a library kernel (entry.py)
        else:
            getattr(module, name).resolve()     # a kernel module's entry (machine_code.Entry)
    return 0


if __name__ == "__main__" and __package__:
    raise SystemExit(_main(sys.argv[1:]))
