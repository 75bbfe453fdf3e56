"""A model pruned with `method = l1_filters`, made smaller: the removed units are cut out.

A removed unit (a dense output feature, a conv filter) has its weights and bias masked to 0,
so its pre-activation is 0 for every input. Where every layer between it and the next layer
with a weight maps 0 to 0 channel by channel (relu, tanh, leaky_relu, elu, selu, gelu,
silu, mish, dropout, max/avg pooling, flatten), its contribution to that next layer is
exactly 0, so the unit, and the next layer's inputs that read it, can go: the smaller model
is the same recipe with `--set model.dense_1.units=K` (or `filters`) and the sliced tensors,
which the model artefact stores as it stores any override (runtime/model/artifact.py), so
predict, eval and every export format see the smaller model. A unit followed by batch norm,
sigmoid or softplus (which map 0 elsewhere) stays, masked: `shrink` says why.
"""
from __future__ import annotations

import numpy as np

from ..compiler.prune import bias_of, mask_name

# per-channel layers with f(0) = 0: a removed unit's 0 stays 0 through them
ZERO_PRESERVING = {"relu", "tanh", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish",
                   "dropout", "maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d", "global_avgpool",
                   "flatten"}
WIDTH = {"dense": "units", "conv1d": "filters", "conv2d": "filters"}


def _alive(tensors, weight: str, axis: int) -> np.ndarray:
    mask = tensors[mask_name(weight)]
    return mask.any(axis=tuple(i for i in range(mask.ndim) if i != axis))


def shrink(program, tensors: dict[str, np.ndarray]):
    """(extra overrides, the smaller model's tensors, notes) for an l1_filters model; the
    overrides empty when nothing could be cut (the notes say why)."""
    recipe = program.recipe
    axes = {p.name: p.out_axis for p in program.graphs.params}
    layers = list(recipe.model.layers)
    out = {k: np.asarray(v) for k, v in tensors.items()}
    overrides, notes = [], []
    for i, spec in enumerate(layers):
        weight = f"{spec.name}.weight"
        if weight not in recipe.prune.weights:
            continue
        alive = _alive(tensors, weight, axes[weight])
        if alive.all():
            continue
        j, between = i + 1, []
        while j < len(layers) and layers[j].kind not in WIDTH:
            between.append(layers[j])
            j += 1
        blocker = next((b for b in between if b.kind not in ZERO_PRESERVING), None)
        if j == len(layers) or blocker is not None:
            why = f"{blocker.name} ({blocker.kind}) does not map 0 to 0" if blocker else \
                "no layer with a weight reads it"
            notes.append(f"{spec.name}: its {int((~alive).sum())} removed units stay, masked: "
                         f"{why}")
            continue
        keep = np.flatnonzero(alive)
        consumer = layers[j]
        _cut(out, weight, axes[weight], keep)
        if bias_of(weight) in out:
            _cut(out, bias_of(weight), 0, keep)
        cw = f"{consumer.name}.weight"
        if consumer.kind == "dense":            # its input rows: unit u's (maybe flattened) block
            per_unit = out[cw].shape[0] // alive.size
            rows = (keep[:, None] * per_unit + np.arange(per_unit)[None, :]).ravel()
            _cut(out, cw, 0, rows)
        else:                                   # a conv's input channels
            _cut(out, cw, 1, keep)
        overrides.append(f"model.{spec.name}.{WIDTH[spec.kind]}={keep.size}")
        notes.append(f"{spec.name}: {alive.size} -> {keep.size} {WIDTH[spec.kind]}")
    return overrides, out, notes


def _cut(tensors, name: str, axis: int, keep: np.ndarray) -> None:
    """Keep `keep` along `axis` of tensor `name` and of its mask (where it has one)."""
    for key in (name, mask_name(name)):
        if key in tensors:
            tensors[key] = np.ascontiguousarray(np.take(tensors[key], keep, axis=axis))
