"""The trained model as a folder: written whole or not at all, read back only when whole.

    runs/digits_mlp/model/
      recipe.recipe        the recipe text exactly as trained
      model.safetensors    parameters and layer statistics (no optimizer slots), and the
                           preparation's arrays (`prep/...`: normalization, fill values, bounds)
      model.json           the manifest, written last: the --set overrides, the recipe's
                           original folder, the preparation (preparation.py), the balanced
                           class weights, and the SHA-256 and size of the two files above

Why a model.json beside the weights rather than everything in the safetensors header: a
person (or another tool) reads what a model expects with `cat`, and the manifest's hashes
bind the two other files, so a truncated, damaged or swapped file is refused by name.

Written into a temporary folder beside the target, each file fsynced (checkpoint.py's
helpers), then renamed into place: a crash leaves the old model or the new one. A folder
without a manifest, or whose files do not match it, is refused (M002), never half-loaded.
No pickle: JSON and raw little-endian arrays only.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checkpoint import parse_blob, write_atomic, write_bytes_atomic
from ..errors import ModelError
from .preparation import to_state

FORMAT = "recipec-model/1"
RECIPE, WEIGHTS, MANIFEST = "recipe.recipe", "model.safetensors", "model.json"
INT8 = "int8.safetensors"       # a `quantize` run's int8 codes and scales (optional)


@dataclass
class Artifact:
    """A model folder read back and verified."""

    folder: Path
    recipe_text: str
    manifest: dict
    tensors: dict[str, np.ndarray]      # parameters and statistics by name
    prep: dict[str, np.ndarray]         # the preparation's arrays (prep/...)


def save_model(program, folder, overrides=None, fold: int | None = None,
               tensors: dict | None = None, int8: dict | None = None) -> Path:
    """Write `program`'s trained model into `folder` (replacing a model there); returns the
    folder. `overrides`: the --set values (default: those the recipe was checked with);
    `fold`: the 0-based fold held out, for a `validation = kfold(k)` recipe's training;
    `tensors`: the parameters and statistics to store instead of the program's (a model
    made smaller, runtime/prune_shrink.py, with the overrides that give its shapes); `int8`:
    a quantised twin's codes and scales (runtime/quantize.py), kept in int8.safetensors for
    `recipec export --int8`."""
    from ...compiler.losses.cross_entropy import RESOLVED

    folder = Path(folder)
    recipe, graphs = program.recipe, program.graphs
    data = program.load_data()
    if tensors is None:
        state = program.executable.state()
        tensors = {t.name: np.asarray(state[t.name]) for t in (*graphs.params, *graphs.stats)}
    arrays, preparation = to_state(data)
    text = recipe.source.encode("utf-8")
    overrides = list(recipe.overrides if overrides is None else overrides)
    origin = Path(recipe.path).resolve() if recipe.path and not recipe.path.startswith("<") \
        else None
    manifest = {
        "format": FORMAT,
        "recipe": {"name": recipe.name, "file": RECIPE, "overrides": overrides,
                   "path": str(origin) if origin else recipe.path,
                   "folder": str(Path(program.base_dir).resolve()),
                   "sha256": hashlib.sha256(text).hexdigest(), "bytes": len(text)},
        "preparation": preparation,
        "class_weights": list(graphs.loss_options[RESOLVED])
        if graphs.loss_options.get("class_weights") == "balanced" else None,
        "fold": fold,
        "tensors": {name: list(a.shape) for name, a in tensors.items()},
    }
    if folder.exists() and not (folder / MANIFEST).is_file() and _has_files(folder):
        raise ModelError(f"{folder}: the folder exists and holds files that are not a recipec "
                         f"model; not replacing it", "M004",
                         hint="give another folder with --model")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
        try:
            write_bytes_atomic(tmp / RECIPE, text)
            write_atomic(tmp / WEIGHTS, {**tensors, **arrays}, {"format": FORMAT})
            blob = (tmp / WEIGHTS).read_bytes()
            manifest["weights"] = {"file": WEIGHTS, "sha256": hashlib.sha256(blob).hexdigest(),
                                   "bytes": len(blob)}
            if int8:
                write_atomic(tmp / INT8, dict(int8), {"format": FORMAT})
                blob = (tmp / INT8).read_bytes()
                manifest["int8"] = {"file": INT8, "sha256": hashlib.sha256(blob).hexdigest(),
                                    "bytes": len(blob)}
            write_bytes_atomic(tmp / MANIFEST, json.dumps(manifest, indent=1).encode())
            _usual_modes(tmp)
            _swap_in(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except OSError as err:
        raise ModelError(f"{folder}: cannot write the model: {err.strerror or err}",
                         "M004") from None
    return folder


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir()) or folder.is_file()


def _usual_modes(tmp: Path) -> None:
    """The modes a plain folder and files get (mkdtemp and mkstemp make them private)."""
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    for name in (RECIPE, WEIGHTS, MANIFEST, INT8):
        if (tmp / name).exists():
            (tmp / name).chmod(0o666 & ~umask)


def _swap_in(tmp: Path, folder: Path) -> None:
    """Rename the whole new folder into place; an old model there is moved aside first and
    removed after (a directory cannot be renamed over a non-empty one). Two runs finishing
    at once into one folder: the later rename wins, neither fails."""
    old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".old"))
    try:
        for attempt in range(8):
            with contextlib.suppress(FileNotFoundError):
                os.replace(folder, old / f"model-{attempt}")
            try:
                os.replace(tmp, folder)
                break
            except OSError as err:      # another writer's folder arrived in between
                if err.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == 7:
                    raise
        _fsync_dir(folder.parent)
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def read_artifact(folder: Path) -> Artifact:
    """The verified contents of a model folder; ModelError M001 (nothing there) or M002
    (half-written, damaged or foreign), naming the path and what is wrong."""
    folder = Path(folder)
    if not folder.exists():
        raise ModelError(f"{folder}: no such model folder", "M001",
                         hint="`recipec run RECIPE` leaves one in runs/<recipe>/model")
    if not folder.is_dir():
        raise ModelError(f"{folder}: not a model folder (a model is a folder holding "
                         f"{MANIFEST}, {WEIGHTS} and {RECIPE})", "M001")
    if not (folder / MANIFEST).is_file():
        what = ("half-written or damaged: its manifest model.json is missing"
                if _has_files(folder) else "an empty folder, not a model")
        raise ModelError(f"{folder}: {what}", "M002" if _has_files(folder) else "M001",
                         hint="train it again: `recipec run RECIPE --model DIR`")
    damaged = lambda why: ModelError(f"{folder}: damaged model: {why}", "M002",  # noqa: E731
                                     hint="train it again: `recipec run RECIPE --model DIR`")
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as err:
        raise damaged(f"{MANIFEST} is not readable JSON ({err})") from None
    if manifest.get("format") != FORMAT:
        raise damaged(f"{MANIFEST} is of format {manifest.get('format')!r}, expected "
                      f"{FORMAT!r}")
    files = {}
    try:
        for key, name in (("recipe", RECIPE), ("weights", WEIGHTS)):
            entry = manifest[key]
            try:
                blob = (folder / name).read_bytes()
            except OSError as err:
                raise damaged(f"{name}: {err.strerror or err}") from None
            if len(blob) != entry["bytes"] or hashlib.sha256(blob).hexdigest() != entry["sha256"]:
                raise damaged(f"{name} is not the file the manifest describes ({len(blob):,} "
                              f"bytes, {entry['bytes']:,} expected, or other contents): "
                              f"truncated or changed")
            files[key] = blob
        tensors, _ = parse_blob(files["weights"])
        text = files["recipe"].decode("utf-8")
    except (KeyError, TypeError) as err:
        raise damaged(f"{MANIFEST} lacks {err}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise damaged(f"{WEIGHTS} or {RECIPE} cannot be read ({err})") from None
    prep = {k: v for k, v in tensors.items() if k.startswith("prep/")}
    own = {k: v for k, v in tensors.items() if not k.startswith("prep/")}
    return Artifact(folder, text, manifest, own, prep)


def read_int8(folder: Path, manifest: dict) -> dict[str, np.ndarray] | None:
    """The int8 codes and scales a `quantize` run stored beside the model (None when it
    stored none); a file unlike the manifest's description is an M002."""
    entry = manifest.get("int8")
    if entry is None:
        return None
    try:
        blob = (Path(folder) / INT8).read_bytes()
    except OSError as err:
        raise ModelError(f"{folder}: damaged model: {INT8}: {err.strerror or err}",
                         "M002") from None
    if len(blob) != entry.get("bytes") or hashlib.sha256(blob).hexdigest() != entry.get("sha256"):
        raise ModelError(f"{folder}: damaged model: {INT8} is not the file the manifest "
                         "describes: truncated or changed", "M002")
    tensors, _ = parse_blob(blob)
    return tensors
