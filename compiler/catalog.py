"""What a recipe may name outside the model: data sources, losses, optimizers, schedules, metrics.

Each is a `Choice` with its option schema; the checker validates calls against these tables,
and the runtime / IR builder read the checked options by the same names.
"""
from __future__ import annotations

from .optimizers import OPTIMIZERS as _OPTIMIZER_DEFS
from .options import Choice, Opt

SOURCES = {c.name: c for c in (
    Choice("iris", doc="scikit-learn's iris (150 x 4, 3 classes)"),
    Choice("digits", doc="scikit-learn's 8x8 digits (1797 x 64, 10 classes)"),
    Choice("wine", doc="scikit-learn's wine (178 x 13, 3 classes)"),
    Choice("breast_cancer", doc="scikit-learn's breast cancer (569 x 30, 2 classes)"),
    Choice("csv", (Opt("path", "str", required=True, positional=True),
                   Opt("label", "str", "label", doc="name or 0-based index of the label column"),
                   Opt("header", "bool", True)),
           doc="a CSV file of numbers with one label column"),
    Choice("npz", (Opt("path", "str", required=True, positional=True),
                   Opt("x", "str", "x"), Opt("y", "str", "y"),
                   Opt("x_test", "str", "", doc="test-split features array; \"\" = no test split"),
                   Opt("y_test", "str", "", doc="test-split labels array (with x_test)")),
           doc="a NumPy .npz archive (read without pickle)"),
    Choice("mnist", (Opt("path", "str", required=True, positional=True,
                         doc="folder with the four original IDX files (gzipped or not)"),),
           doc="MNIST from its IDX files: 60000 train + 10000 test images [1, 28, 28], "
               "raw 0..255 pixel values"),
    Choice("idx", (Opt("images", "str", required=True, positional=True),
                   Opt("labels", "str", required=True, positional=True)),
           doc="one pair of IDX files (images, labels), gzipped or not; all rows are training "
               "rows"),
)}

LOSSES = {c.name: c for c in (
    Choice("cross_entropy", doc="softmax cross-entropy from logits, integer labels"),
    Choice("mse", doc="mean squared error"),
)}

# the optimizers' own registry (compiler/optimizers/, one file each) holds their schemas
OPTIMIZERS = {name: Choice(name, d.opts, d.doc) for name, d in _OPTIMIZER_DEFS.items()}

SCHEDULES = {c.name: c for c in (
    Choice("constant", doc="the base learning rate throughout"),
    Choice("step", (Opt("every", "duration", required=True, positional=True),
                    Opt("gamma", "float", 0.1, min=0.0, min_inclusive=False)),
           doc="lr = base * gamma ** floor(t / every)"),
    Choice("exponential", (Opt("gamma", "float", required=True, positional=True, min=0.0,
                               min_inclusive=False, max=1.0),
                           Opt("every", "duration", None, doc="default: 1 epochs")),
           doc="lr = base * gamma ** (t / every)"),
    Choice("inv", (Opt("gamma", "float", required=True, min=0.0, min_inclusive=False),
                   Opt("power", "float", required=True, min=0.0, min_inclusive=False)),
           doc="Caffe's inv policy: lr = base * (1 + gamma * step) ** -power"),
)}

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

METRICS = ("accuracy", "loss", "mae")
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
