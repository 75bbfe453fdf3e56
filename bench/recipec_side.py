"""recipec's side of the benchmark: training steps as `recipec run` takes them.

Shared by bench/run.py (the timed cases, parity) and bench/contend.py (quiet vs busy), as
bench/torch_side.py is PyTorch's side.
"""
from __future__ import annotations

import contextlib
import os
import time

import numpy as np

from recipec.runtime.program import ChunkSizer
from recipec.runtime.state import TrainState


@contextlib.contextmanager
def layout(name: str):
    """RECIPEC_THREADS=name for the compiled_region() entered inside."""
    old = os.environ.get("RECIPEC_THREADS")
    os.environ["RECIPEC_THREADS"] = name
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("RECIPEC_THREADS", None)
        else:
            os.environ["RECIPEC_THREADS"] = old


def recipec_steps(program, x, y, order, steps, batch, threads):
    """`steps` steps in chunks of about CHUNK_SECONDS, as `recipec run` calls the kernels (the
    thread chooser decides per chunk); returns (seconds, each step's loss)."""
    sizer, losses, done = ChunkSizer(), [], 0
    with layout(threads), program.executable.session():
        t0 = time.perf_counter()
        while done < steps:
            count = min(sizer.steps, steps - done)
            c0 = time.perf_counter()
            part, _ = program.train_steps(x, y, order, done * batch, count, batch, steps)
            sizer.update(count, time.perf_counter() - c0)
            losses.append(part)
            done += count
        return time.perf_counter() - t0, np.concatenate(losses)


def fresh_state(program):
    program.state = TrainState.fresh(program.graphs, program.recipe.train.seed)
    return [p.name for p in program.graphs.params], [a.copy() for a in program.state.params]
