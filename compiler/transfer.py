"""Transfer learning in a recipe: where the initial weights come from, and which layers train.

    model {
      init = checkpoint("runs/base/model", layers = [conv2d_1, conv2d_2])
      input [1, 28, 28]
      conv2d(32, 3, freeze = true) relu ...
    }

`init = checkpoint(path, layers)` copies the named layers' parameters and batch-norm
statistics from a safetensors file (a checkpoint, the newest of a folder of them, or a model
folder's model.safetensors) into the fresh state, by tensor name (`conv2d_1.weight`);
everything else keeps its initialiser's draw, and the optimizer's slots start fresh. The names
are checked against the model here (compiler/check/transfer.py); the file is read before any
kernel compiles (runtime/transfer.py).
`freeze = true` (a per-parameter option of every layer with parameters, layers/__init__.py)
takes a layer's parameters out of the gradient and the optimizer: no slots, no update, no
weight decay, penalty or max_norm; a frozen batchnorm normalises with its running statistics
in training too and leaves them as they are (Keras' trainable = False), so a frozen layer is
a fixed function.
"""
from __future__ import annotations

from .options import Choice, Opt

INIT_SOURCES = {
    "checkpoint": Choice("checkpoint", (
        Opt("path", "str", required=True, positional=True,
            doc="a checkpoint file, a folder of them (the newest) or a model folder"),
        Opt("layers", "name_list", None,
            doc="the layers to copy, as `recipec check` names them; default: every layer "
                "whose tensors the file holds")),
        "copy layers' parameters and batch-norm statistics from a safetensors file"),
}

# the settings a `model { }` takes besides its layers
MODEL_KEYS = (Opt("init", "call", None, doc="initial weights from a file: checkpoint(...)"),)


def tensor_owner(name: str) -> str:
    """The layer a state tensor belongs to: `dense_1.weight` -> `dense_1`."""
    return name.split(".", 1)[0]
