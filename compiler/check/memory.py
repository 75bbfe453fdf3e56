"""Will training fit in this machine's memory? An estimate made before anything is allocated.

Training keeps, per parameter, the weight, its gradient and the optimizer's slots (sgd's
velocity, adam's two moments), and per batch every layer's output plus that output's gradient
(the forward values the backward pass reads, and the buffers it writes), all float32. The
estimate leaves out the data set (unknown before it is read), and buffer reuse saves part of
the gradients, so it is about what a run needs. A model over this machine's memory is refused
(E307) at the layer that holds the most, before any compile, instead of failing with a
MemoryError later: after `input [64]`, `dense(99999999999)` needs about 78 TiB.

RECIPEC_MEMORY_BYTES=N replaces the machine's physical memory (tests; a share of a machine).
"""
from __future__ import annotations

import os

from ..layers import numel
from ..optimizers import OPTIMIZERS
from ..recipe import Call, LayerSpec, ModelSpec
from .values import Ctx

FLOAT_BYTES = 4
ENV = "RECIPEC_MEMORY_BYTES"


def machine_memory() -> int | None:
    """Bytes of physical memory (or RECIPEC_MEMORY_BYTES); None where it cannot be read."""
    override = os.environ.get(ENV, "").strip()
    if override.isdigit():
        return int(override)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):    # no sysconf (Windows) or no such name
        return None


def size_text(n: int) -> str:
    """Bytes in the unit a person reads: `512.0 MiB`, `15.6 GiB`, `2.9 TiB`."""
    for unit, scale in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= scale:
            # integer division first: a float of a huge byte count could overflow
            whole, rest = divmod(n, scale)
            return f"{whole + rest / scale:,.1f} {unit}" if whole < 2 ** 53 else \
                f"{whole:,} {unit}"
    return f"{n} bytes"


def _flat(layers: tuple[LayerSpec, ...]):
    """Every layer with the parameters it holds itself (a block's body counts its own)."""
    for layer in layers:
        yield layer, layer.params - sum(b.params for b in layer.body)
        yield from _flat(layer.body)


def check_memory(ctx: Ctx, model: ModelSpec, optimizer: Call | None,
                 batch: int | None) -> None:
    available = machine_memory()
    if available is None:
        return
    # an unknown optimizer or batch (reported elsewhere) counts as the least it could need
    # (a scalar slot is one value per parameter array, nothing beside its weights)
    slots = sum(not s.scalar for s in OPTIMIZERS[optimizer.kind].slot_specs(optimizer.options)) \
        if optimizer else 0
    copies, batch = 2 + slots, batch or 1
    held = []          # (bytes, what holds them, layer)
    for layer, params in _flat(model.layers):
        # a frozen layer keeps its weights alone: no gradient, no slot (compiler/transfer.py)
        weights = params * (1 if layer.options.get("freeze") else copies) * FLOAT_BYTES
        activations = 2 * numel(layer.out_shape) * batch * FLOAT_BYTES
        held.append((weights + activations, weights, activations, layer))
    inputs = numel(model.input_shape) * batch * FLOAT_BYTES
    total = inputs + sum(h[0] for h in held)
    if total <= available or not held:
        return
    most, weights, activations, layer = max(held, key=lambda h: h[0])
    kept = "weight and gradient" if not slots else \
        f"weight, gradient and {slots} optimizer slot{'s' if slots != 1 else ''}"
    fix = (f"make `{layer.name}` smaller" if weights >= activations else
           f"make `{layer.name}`'s output smaller or lower `train.batch` (now {batch})")
    ctx.error(layer.span, "E307", f"training this model needs about {size_text(total)} of "
              f"memory, but this machine has {size_text(available)}; `{layer.name}` alone "
              f"needs {size_text(most)}",
              f"{fix}: it holds {size_text(weights)} of parameters (a {kept} each) and "
              f"{size_text(activations)} of activations (its output and their gradient for a "
              f"batch of {batch})")
