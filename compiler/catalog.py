"""What a recipe may name outside the model, for the checker: one table per kind of choice.

Losses, metrics and data sources have registries of their own (`losses/`, `metrics/`,
`sources.py`), re-exported here so the checker finds every table in one place. Optimizers,
schedules and augmentations are `Choice`s with their option schemas; the runtime / IR builder
read the checked options by the same names. The sections and keys of a recipe close the file.
"""
from __future__ import annotations

from .losses import LOSSES
from .metrics import METRICS
from .optimizers import OPTIMIZERS as _OPTIMIZER_DEFS
from .options import Choice, Opt
from .schedules import SCHEDULES as _SCHEDULE_ROWS
from .sources import SOURCES

__all__ = ["LOSSES", "METRICS", "SOURCES", "OPTIMIZERS", "SCHEDULES", "AUGMENTS",
           "IMAGE_AUGMENTS", "NORMALIZE", "SECTIONS", "ASSIGNMENTS", "DATA_KEYS", "TRAIN_KEYS"]

# the optimizers' own registry (compiler/optimizers/, one file each) holds their schemas
OPTIMIZERS = {name: Choice(name, d.opts, d.doc) for name, d in _OPTIMIZER_DEFS.items()}

# rows of the schedule registry (compiler/schedules/), as the checker validates them
SCHEDULES = {name: row.choice for name, row in _SCHEDULE_ROWS.items()}

# Random image transforms applied to each training batch inside the compiled step (ops/augment.py);
# `data { augment = [shift(2), flip(), rotate(10), noise(0.1)] }` applies them in list order.
AUGMENTS = {c.name: c for c in (
    Choice("shift", (Opt("pixels", "int", required=True, min=0, positional=True,
                         doc="largest offset per axis"),),
           doc="translate by a random integer offset in [-pixels, pixels] per axis, zero fill "
               "(random crop with zero padding `pixels`); needs an image input [C, H, W]"),
    Choice("flip", (Opt("horizontal", "bool", True, positional=True,
                        doc="mirror left-right (the W axis)"),
                    Opt("vertical", "bool", False, positional=True,
                        doc="mirror top-bottom (the H axis)")),
           doc="mirror each enabled axis with probability 1/2; needs an image input [C, H, W]"),
    Choice("rotate", (Opt("degrees", "float", required=True, min=0.0, max=180.0,
                          positional=True, doc="largest angle"),),
           doc="rotate about the centre by a uniform angle in [-degrees, degrees], bilinear, "
               "zero fill; needs an image input [C, H, W]"),
    Choice("noise", (Opt("std", "float", required=True, min=0.0, positional=True,
                         doc="standard deviation"),),
           doc="add gaussian noise std * N(0, 1) to every input value (any input shape)"),
)}
IMAGE_AUGMENTS = ("shift", "flip", "rotate")

NORMALIZE = ("none", "standard", "minmax", "per_channel")

# Sections and top-level keys; the checker uses this list for did-you-mean on unknown names.
SECTIONS = ("data", "model", "train")
ASSIGNMENTS = ("loss", "optimizer", "schedule", "metrics")
DATA_KEYS = (Opt("source", "call", required=True),
             Opt("test", "call", None, doc="source of the test split; overrides a test split "
                 "that `source` itself provides (mnist, npz with x_test)"),
             Opt("scale", "float", 1.0, min=0.0, min_inclusive=False,
                 doc="multiply raw input values by this before normalization"),
             Opt("normalize", "enum", "none", choices=NORMALIZE),
             Opt("validation", "float", 0.0, min=0.0, max=1.0, max_inclusive=False),
             Opt("shuffle", "bool", True),
             Opt("augment", "call_list", (), doc="random transforms of each training batch, "
                 "in order: shift(p), flip(), rotate(deg), noise(std); training only"))
# Exactly one of epochs / steps (Caffe's max_iter) bounds the training; the checker enforces it.
TRAIN_KEYS = (Opt("epochs", "int", None, min=1),
              Opt("steps", "int", None, min=1, doc="total optimizer steps, across epochs"),
              Opt("batch", "int", 32, min=1),
              Opt("seed", "int", 0, min=0))
