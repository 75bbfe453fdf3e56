"""`init = checkpoint(path, layers)`: the fresh state's tensors copied from a file
(compiler/transfer.py says what the recipe means).

The path, relative to the recipe's folder unless absolute, is a safetensors file, a folder of
checkpoints (the newest, runtime/checkpoint.py) or a model folder (its model.safetensors).
Tensors are matched by name (`conv2d_1.weight`, `batchnorm_1.running_mean`): the layers'
parameters and batch-norm statistics, never optimizer slots (the optimizer starts fresh) or
counters. Every problem is a CheckpointError located at the `checkpoint(...)` call: C001 no
such file, C002 not a readable safetensors file (safetensors holds raw arrays and a JSON
header, so reading one never runs code), C005 a tensor that is missing or of another shape or
dtype. It is read before any kernel compiles: Program.__init__ applies it to the fresh state,
and `recipec check` reads it too.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..compiler.recipe import Recipe, TransferSpec
from ..compiler.transfer import tensor_owner
from . import checkpoint
from .errors import CheckpointError

MODEL_FILE = "model.safetensors"      # what a model folder holds


def resolve(spec: TransferSpec, base_dir: Path) -> Path:
    """The file `spec.path` names (C001 when there is none)."""
    try:
        return _resolve(spec, base_dir)
    except (OSError, ValueError) as err:     # a name too long, a NUL byte, no permission
        raise CheckpointError(f'checkpoint("{spec.path}"): cannot be opened: '
                              f"{getattr(err, 'strerror', None) or err}", "C002") from None


def _resolve(spec: TransferSpec, base_dir: Path) -> Path:
    given = Path(spec.path).expanduser()
    path = given if given.is_absolute() else Path(base_dir) / given
    where = "" if given.is_absolute() or str(path) == spec.path else f" (looked for {path})"
    if path.is_file():
        return path
    if path.is_dir():
        if (path / MODEL_FILE).is_file():
            return path / MODEL_FILE
        found = checkpoint.checkpoints(path)
        if found:
            return found[0]
        raise CheckpointError(f'checkpoint("{spec.path}"): the folder holds neither a '
                              f"{MODEL_FILE} nor a step-*.safetensors checkpoint{where}",
                              "C001", hint="name the file itself, or a run's model or "
                                           "checkpoints folder")
    raise CheckpointError(f'checkpoint("{spec.path}"): no such file or folder{where}', "C001",
                          hint="a relative path is relative to the recipe's folder")


def _read(spec: TransferSpec, path: Path, names: set[str]) -> tuple[dict, dict]:
    """({name: (shape, dtype)} of every tensor in the file, {name: array} of `names` among
    them)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            keys = list(f.keys())
            info = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype())
                    for k in keys}
            arrays = {k: f.get_tensor(k) for k in keys if k in names and info[k][1] == "F32"}
    except (SafetensorError, OSError, ValueError, TypeError) as err:
        reason = getattr(err, "strerror", None) or err
        raise CheckpointError(f'checkpoint("{spec.path}"): {path} is not a readable '
                              f"safetensors file (truncated, damaged or another format: "
                              f"{reason})", "C002") from None
    return info, arrays


def initial_tensors(recipe: Recipe, model_tensors: dict[str, tuple[int, ...]],
                    base_dir: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """(the file read, {tensor name: float32 array}) for the recipe's `init`, each tensor
    checked against `model_tensors` (this model's parameters and statistics by name, with
    their shapes); raises a CheckpointError located at the call."""
    spec = recipe.model.init
    try:
        path = resolve(spec, base_dir)
        owned: dict[str, list[str]] = {}
        for name in model_tensors:
            owned.setdefault(tensor_owner(name), []).append(name)
        info, _ = _read(spec, path, set())
        layers = spec.layers
        if layers is None:           # every layer the file holds a tensor of
            layers = tuple(layer for layer, names in owned.items()
                           if any(n in info for n in names))
            if not layers:
                shown = ", ".join(sorted(info)[:4]) or "no tensors at all"
                raise CheckpointError(f'checkpoint("{spec.path}"): {path} holds no tensor of '
                                      f"this model's layers (it has {shown})", "C005",
                                      hint="tensors are matched by name, as `recipec check` "
                                           "names the layers: `dense_1.weight`")
        wanted = [n for layer in layers for n in owned[layer]]
        problems = []
        for name in wanted:
            if name not in info:
                problems.append(f"the file has no tensor {name}")
            elif info[name][0] != tuple(model_tensors[name]):
                problems.append(f"tensor {name} is {list(info[name][0])} in the file and "
                                f"{list(model_tensors[name])} in this model")
            elif info[name][1] != "F32":
                problems.append(f"tensor {name} is {info[name][1]} in the file; this model's "
                                "tensors are float32 (F32)")
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            fit = [layer for layer in layers if all(
                n in info and info[n] == (tuple(model_tensors[n]), "F32") for n in owned[layer])]
            raise CheckpointError(f'checkpoint("{spec.path}"): {path}: '
                                  + "; ".join(problems[:3]) + more, "C005",
                                  hint="copy only the layers that fit: "
                                       f"`layers = [{', '.join(fit)}]`" if fit else
                                  "this file's layers do not fit this model's")
        _, arrays = _read(spec, path, set(wanted))
    except CheckpointError as err:
        raise err.locate(spec.span, recipe.source)
    return path, {n: np.ascontiguousarray(arrays[n], dtype=np.float32) for n in wanted}


def shapes_of(params, stats) -> dict[str, tuple[int, ...]]:
    """This model's tensors an `init` may copy: parameters and statistics, by name (not a
    pruning mask: the prune phase sets it, compiler/prune.py)."""
    return {t.name: tuple(t.shape) for t in list(params) + list(stats)
            if not getattr(t, "mask_of", "")}


def describe(path: Path, tensors: dict[str, np.ndarray]) -> str:
    layers = list(dict.fromkeys(tensor_owner(n) for n in tensors))
    return (f"{len(tensors)} tensor{'s' if len(tensors) != 1 else ''} of "
            f"{', '.join(layers)} from {path}")
