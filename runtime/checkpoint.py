"""Checkpoints: every piece of training state, so a resumed run is bit-identical to one never
interrupted, from any chunk boundary, mid-epoch included.

One checkpoint is one safetensors file, `step-000000001234.safetensors`: the tensors are the
executable's state (parameters, optimizer slots, layer statistics) and, with early stopping's
`restore_best`, the best epoch's copy (`best/...`); its metadata holds the rest as JSON: the
step, epoch and seed counters, plateau's and early stopping's counters, the running sums of
the epoch in progress, and the recipe's text and overrides with their hash. Nothing else is
needed: the data order of an epoch, dropout masks and augmentation draws follow from (seed,
epoch, step), and the position inside the epoch from the step counter.

Written atomically: to a temporary file in the same folder, fsynced, renamed over, and the
folder fsynced; a crash at any moment leaves the previous checkpoints intact. The newest
`keep` are kept. No pickle: safetensors holds only raw arrays and a JSON header.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CheckpointError
from .monitor import monitored

FORMAT = "recipec-checkpoint/1"
NAME = re.compile(r"^step-(\d{12})\.safetensors$")
BEST = "best.safetensors"


def recipe_hash(text: str, overrides) -> str:
    return hashlib.sha256(json.dumps([text, list(overrides)]).encode()).hexdigest()


@dataclass
class Checkpointer:
    """Writes `program`'s checkpoints into `folder` every `every` steps (None: only when
    asked, e.g. at the end or on a signal), keeping the newest `keep`."""

    folder: Path
    every: int | None
    keep: int
    text: str
    overrides: tuple[str, ...]
    last_step: int = 0              # the step the run started from (a resumed one's)
    last_path: Path | None = None
    resumed_from: Path | None = None    # the checkpoint this run resumed from (--resume)
    seconds: float = 0.0            # the last write's time
    best_monitor: str | None = None  # `keep_best`: best.safetensors holds its best epoch
    best_mode: str = "min"
    best_value: float | None = None
    best_epoch: int | None = None

    def due(self, step: int) -> bool:
        """A multiple of `every` has been passed since the last checkpoint."""
        return self.every is not None and step // self.every > self.last_step // self.every

    def write(self, program, finished: bool = False) -> Path:
        """Write the program's whole state now; returns the file. `finished`: the run is
        over (its end, or early stopping): resuming it trains nothing more."""
        start = time.perf_counter()
        tensors, meta = self._state(program, finished)
        step = int(meta["counters"]["step"])
        path = self.folder / f"step-{step:012d}.safetensors"
        self._save(path, tensors, meta)
        self.last_step, self.last_path = step, path
        self.seconds = time.perf_counter() - start
        self._prune()
        return path

    def epoch_end(self, program, record) -> Path | None:
        """After a whole epoch: best.safetensors, when the monitored value improved on the
        best so far (strictly; a NaN never does). Returns the file written, or None."""
        if self.best_monitor is None:
            return None
        value = monitored(record, self.best_monitor)
        if math.isnan(value) or (self.best_value is not None and not (
                value < self.best_value if self.best_mode == "min" else value > self.best_value)):
            return None
        self.best_value, self.best_epoch = value, record.epoch
        path = self.folder / BEST
        self._save(path, *self._state(program, finished=False))
        return path

    def restore_best_record(self, meta: dict) -> None:
        """A resumed run's best so far, so that best.safetensors is replaced only by better."""
        best = meta.get("best") or {}
        if best.get("monitor") == self.best_monitor:
            self.best_value, self.best_epoch = best.get("value"), best.get("epoch")

    def _state(self, program, finished: bool) -> tuple[dict, dict]:
        tensors, meta = program.checkpoint_state()
        meta["finished"] = finished
        meta.update({"format": FORMAT, "recipe_text": self.text,
                     "overrides": list(self.overrides),
                     "recipe_hash": recipe_hash(self.text, self.overrides),
                     "best": {"monitor": self.best_monitor, "value": self.best_value,
                              "epoch": self.best_epoch}})
        return tensors, meta

    def _save(self, path: Path, tensors: dict, meta: dict) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(path, tensors, meta)
        except OSError as err:       # the disk filled or the folder went away mid-run
            raise CheckpointError(f"{path}: cannot write the checkpoint: "
                                  f"{err.strerror or err}", "C004",
                                  hint="the checkpoints written before are intact") from None

    def _prune(self) -> None:
        for old in checkpoints(self.folder)[self.keep:]:
            old.unlink(missing_ok=True)


def write_atomic(path: Path, tensors: dict[str, np.ndarray], meta: dict) -> None:
    """`tensors` and the JSON `meta` as one safetensors file at `path`, atomically (also the
    model artefact's weights, runtime/model/artifact.py)."""
    from safetensors.numpy import save

    blob = save({k: np.ascontiguousarray(v) for k, v in tensors.items()},
                metadata={"recipec": json.dumps(meta)})
    write_bytes_atomic(path, blob)


def write_bytes_atomic(path: Path, blob: bytes) -> None:
    """`blob` at `path`: a temporary file in the same folder, fsynced, renamed over, and the
    folder fsynced, so a reader sees the old file or the new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def checkpoints(folder: Path) -> list[Path]:
    """The folder's checkpoint files, newest (highest step) first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if NAME.match(p.name)]
    return sorted(found, key=lambda p: p.name, reverse=True)


def read(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """(tensors, metadata) of a checkpoint file; a CheckpointError (C002) naming the file for
    anything that is not a whole recipec checkpoint."""
    try:
        blob = path.read_bytes()
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the checkpoint: {err.strerror or err}",
                              "C002") from None
    try:
        tensors, meta = parse_blob(blob)
    except ValueError as err:
        raise CheckpointError(f"{path}: not a readable recipec checkpoint (truncated, "
                              f"damaged or another program's file: {err})", "C002") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {meta.get('format')!r}, expected "
                              f"{FORMAT!r}", "C002")
    return tensors, meta


def parse_blob(blob: bytes) -> tuple[dict[str, np.ndarray], dict]:
    """(tensors, recipec metadata) of a safetensors file's bytes; ValueError saying why for
    anything that is not one whole file written by `write_atomic`."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        tensors = load(blob)
        header_len = int.from_bytes(blob[:8], "little")
        header = json.loads(blob[8:8 + header_len])
        meta = json.loads(header["__metadata__"]["recipec"])
    except (SafetensorError, ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ValueError(str(err) or type(err).__name__) from None
    if not isinstance(meta, dict):
        raise ValueError("its recipec metadata is not a JSON object")
    return tensors, meta


def find(path: Path) -> Path:
    """A checkpoint file itself, or the newest in a folder (C001 when there is none)."""
    if path.is_file():
        return path
    found = checkpoints(path)
    if not found:
        raise CheckpointError(f"{path}: no checkpoint to resume from (no step-*.safetensors "
                              f"file there)", "C001")
    return found[0]


def changes(meta: dict, text: str, overrides) -> str | None:
    """What differs between the checkpoint's recipe and this one, in words, or None."""
    if meta.get("recipe_hash") == recipe_hash(text, overrides):
        return None
    said = []
    old_lines, new_lines = meta.get("recipe_text", "").splitlines(), text.splitlines()
    if old_lines != new_lines:
        for i, (a, b) in enumerate(zip(old_lines + [""] * len(new_lines),
                                       new_lines + [""] * len(old_lines)), 1):
            if a != b:
                said.append(f"the recipe text differs from line {i} (was {a.strip()!r}, now "
                            f"{b.strip()!r})")
                break
    if list(meta.get("overrides", [])) != list(overrides):
        said.append(f"the overrides were {meta.get('overrides') or 'none'}, now "
                    f"{list(overrides) or 'none'}")
    return "; ".join(said) or "the recipe differs"
