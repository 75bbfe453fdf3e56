"""Run reports: the final metrics, timings and per-epoch history as JSON, written atomically."""
from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any


def unwritable_reason(path: str | Path) -> str | None:
    """Why a report could not be written at `path` (None: it can), found before any training:
    the path is a folder or not a regular file, a folder on its way is a file, or no file can
    be created in the nearest folder that exists (tried for real: a temporary file, removed at
    once). Missing folders are fine: write_json_atomic creates them, as it always has; nothing
    is created here."""
    path = Path(path)
    if path.is_dir():
        return "is a folder; give a file name, e.g. out.json"
    if path.exists() and not path.is_file():
        return "exists and is not a regular file"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{str(folder)!r} is not a folder"
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".probe")
    except OSError as err:
        return f"cannot create a file in folder {str(folder)!r} ({err.strerror or err})"
    os.close(fd)
    os.unlink(probe)
    return None


def write_json_atomic(path: str | Path, payload: dict[str, Any]) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file."""
    write_text_atomic(path, json.dumps(payload, indent=2) + "\n")


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename (creating missing folders)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)         # as open() would create it, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_report(program, history, final: dict[str, dict[str, float]],
               loading: dict[str, float] | None = None,
               details: dict[str, dict] | None = None) -> dict[str, Any]:
    """The run as JSON; `loading` holds the data's read-and-check seconds and the peak
    memory after it (`recipec run` measures them before compiling)."""
    import numba
    import numpy as np

    recipe = program.recipe
    return {
        "recipe": recipe.name,
        "path": recipe.path,
        "final": final,
        # per split: per-class precision/recall/f1 and confusion matrices, by metric key
        "details": {split: d for split, d in (details or {}).items() if d},
        # the labels of those per-class rows (None: the classes are the indices 0..K-1)
        "class_names": _class_names(program),
        "timings": {
            **(loading or {}),
            "compile_seconds": program.compile_seconds,
            "compiler_passes": program.compiled.timings,
            "train_seconds": history.train_seconds,
            "steps": history.steps,
            "steps_per_second": history.steps_per_second,
            "samples_per_second": (history.steps_per_second * recipe.train.batch),
        },
        "early_stop": None if recipe.early_stop is None else {
            "monitor": recipe.early_stop.monitor, "mode": recipe.early_stop.mode,
            "stopped_epoch": history.stopped_epoch, "best_epoch": history.best_epoch,
            "restored_epoch": history.restored_epoch},
        "lr_reductions": [{"epoch": e, "lr": lr} for e, lr in history.lr_reductions],
        "history": [
            {"epoch": r.epoch, "train": r.train, "validation": r.validation,
             "seconds": r.seconds, "lr": r.lr,
             **({"penalty": r.penalty} if r.penalty is not None else {})}
            for r in history.epochs
        ],
        "environment": {"python": platform.python_version(), "numpy": np.__version__,
                        "numba": numba.__version__, "threads": numba.get_num_threads()},
    }


def _class_names(program) -> list[str] | None:
    data = getattr(program, "data", None)
    names = getattr(data, "class_names", None)
    return None if names is None else [str(n) for n in names]
