"""Run reports: the final metrics, timings and per-epoch history as JSON, written atomically."""
from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomic(path: str | Path, payload: dict[str, Any]) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_report(program, history, final: dict[str, dict[str, float]]) -> dict[str, Any]:
    import numba
    import numpy as np

    recipe = program.recipe
    return {
        "recipe": recipe.name,
        "path": recipe.path,
        "final": final,
        "timings": {
            "compile_seconds": program.compile_seconds,
            "compiler_passes": program.compiled.timings,
            "train_seconds": history.train_seconds,
            "steps": history.steps,
            "steps_per_second": history.steps_per_second,
            "samples_per_second": (history.steps_per_second * recipe.train.batch),
        },
        "history": [
            {"epoch": r.epoch, "train": r.train, "validation": r.validation,
             "seconds": r.seconds}
            for r in history.epochs
        ],
        "environment": {"python": platform.python_version(), "numpy": np.__version__,
                        "numba": numba.__version__, "threads": numba.get_num_threads()},
    }
