"""What a recipe may name outside the model, for the checker: one table per kind of choice.

Losses, metrics and data sources have registries of their own (`losses/`, `metrics/`,
`sources.py`), re-exported here so the checker finds every table in one place. Optimizers,
schedules and augmentations are `Choice`s with their option schemas; the runtime / IR builder
read the checked options by the same names. The sections and keys of a recipe close the file.
"""
from __future__ import annotations

from .augments import AUGMENTS as _AUGMENT_ROWS
from .losses import LOSSES
from .catalog_opts import MODE, MONITOR
from .cleaning import IMPUTE, OUTLIERS
from .metrics import METRICS
from .optimizers import OPTIMIZERS as _OPTIMIZER_DEFS
from .options import Choice, Opt
from .schedules import SCHEDULES as _SCHEDULE_ROWS
from .sources import SOURCES

__all__ = ["LOSSES", "METRICS", "SOURCES", "OPTIMIZERS", "SCHEDULES", "AUGMENTS",
           "IMAGE_AUGMENTS", "IMPUTE", "OUTLIERS", "NORMALIZE", "LAYOUTS", "SECTIONS",
           "ASSIGNMENTS", "DATA_KEYS", "TRAIN_KEYS", "EARLY_STOP_KEYS", "MONITOR", "MODE",
           "REGULARIZE_KEYS", "CLIPS", "SEARCH_KEYS", "PRUNE_KEYS", "PRUNE_SCHEDULES",
           "DISTILL_KEYS", "DISTILL_TEACHERS", "QUANTIZE_KEYS"]

# the optimizers' own registry (compiler/optimizers/, one file each) holds their schemas
OPTIMIZERS = {name: Choice(name, d.opts, d.doc) for name, d in _OPTIMIZER_DEFS.items()}

# rows of the schedule registry (compiler/schedules/), as the checker validates them
SCHEDULES = {name: row.choice for name, row in _SCHEDULE_ROWS.items()}

# Random transforms of each training batch inside the compiled step, one file each in
# compiler/augments/; `data { augment = [shift(2), flip()] }` applies them in list order.
AUGMENTS = {name: row.choice for name, row in _AUGMENT_ROWS.items()}
IMAGE_AUGMENTS = tuple(name for name, row in _AUGMENT_ROWS.items() if row.image)

NORMALIZE = ("none", "standard", "minmax", "per_channel")
# `validation = kfold(5)`: stratified k-fold cross-validation (runtime/data/preprocess.py)
VALIDATION_CALLS = {"kfold": Choice("kfold", (Opt("k", "int", 5, min=2, max=1000,
                                                  positional=True),),
                                    "k trainings, each holding out one fold")}
LAYOUTS = ("chw", "hwc")

# Sections and top-level keys; the checker uses this list for did-you-mean on unknown names.
SECTIONS = ("data", "model", "train", "early_stop", "regularize", "search", "prune",
            "distill", "quantize")
ASSIGNMENTS = ("loss", "optimizer", "schedule", "metrics", "clip")
# `search { method = tpe  trials = 30 ... }`: how `recipec search` explores the recipe's search
# space (uniform(a, b), loguniform, int, choice written in place of values: compiler/search/)
SEARCH_KEYS = (Opt("method", "enum", "tpe", choices=("grid", "random", "tpe"),
                   doc="grid: every combination; random; tpe: Optuna's Bayesian TPE"),
               Opt("trials", "int", None, min=1, doc="trials to run (grid: every point)"),
               Opt("timeout", "int", None, min=1, doc="seconds: no trial starts after this"),
               Opt("metric", "name", "auto",
                   doc="the monitor to optimise (auto: early_stop's, else val_loss)"),
               Opt("direction", "enum", "auto", choices=("auto", "minimize", "maximize")),
               Opt("pruner", "enum", "none", choices=("none", "median", "asha", "hyperband"),
                   doc="stops unpromising trials at an epoch's end"),
               Opt("workers", "int", 1, min=1, doc="trial processes on this machine"),
               Opt("storage", "str", "", doc="the study's storage URL (default: a journal "
                   "file in the runs folder)"),
               Opt("seed", "int", 0, min=0, doc="the sampler's seed"),
               Opt("batch_trials", "int_or_enum", "auto", min=1, choices=("auto",),
                   doc="trials trained side by side in one compiled step"))
# `regularize { l1 = 1e-5  l2 = 1e-4 }`: Keras' L1L2 on every weight whose layer sets neither
# l1 nor l2 itself (compiler/regularize.py); added to the loss, unlike weight_decay
REGULARIZE_KEYS = (Opt("l1", "float", 0.0, min=0.0, doc="adds l1 * sum|w| of each weight"),
                   Opt("l2", "float", 0.0, min=0.0, doc="adds l2 * sum w^2 of each weight"))
# `clip = norm(1.0)` | `clip = value(0.5)`: gradient clipping before the optimizer's update,
# torch.nn.utils.clip_grad_norm_ (one norm over every parameter's gradient) and
# clip_grad_value_ (each element)
CLIPS = {"norm": Choice("norm", (Opt("max_norm", "float", required=True, min=0.0,
                                     min_inclusive=False, positional=True),),
                        "scales every gradient by min(1, max_norm / (total L2 norm + 1e-6))"),
         "value": Choice("value", (Opt("clip_value", "float", required=True, min=0.0,
                                       min_inclusive=False, positional=True),),
                         "clamps each gradient element to [-clip_value, clip_value]")}
# `prune { sparsity = 0.8  schedule = gradual(over = 5 epochs) }`: magnitude pruning after the
# recipe's training, masks in the training step (compiler/prune.py, runtime/prune.py).
# gradual is Zhu & Gupta's (2017) cubic ramp, tfmot's PolynomialDecay: the mask is recomputed
# every `every` steps from `from` to `sparsity` over `over`; oneshot prunes once, at the start.
PRUNE_SCHEDULES = {
    "gradual": Choice("gradual", (
        Opt("from", "float", 0.0, min=0.0, max=1.0, max_inclusive=False,
            doc="the sparsity of the first mask"),
        Opt("over", "duration", required=True, positional=True,
            doc="how long the sparsity takes to reach its target"),
        Opt("every", "duration", None, doc="the mask is recomputed this often "
            "(default 100 steps, tfmot's frequency)")),
        "s(t) = s + (from - s)(1 - t/over)^3, the mask recomputed every `every` steps"),
    "oneshot": Choice("oneshot", (), "the whole sparsity at once, then fine-tuning"),
}
PRUNE_KEYS = (Opt("method", "enum", "magnitude", choices=("magnitude", "l1_filters"),
                  doc="magnitude: the weights of smallest |w| (unstructured); l1_filters: "
                      "whole dense units / conv filters of smallest L1 norm, removed from "
                      "the saved model"),
              Opt("sparsity", "float", required=True, min=0.0, max=1.0, max_inclusive=False,
                  doc="the fraction of each pruned weight set to zero at the end"),
              Opt("schedule", "call", None, doc="gradual(over = 5 epochs) | oneshot "
                  "(default oneshot)"),
              Opt("scope", "enum", "per_layer", choices=("per_layer", "global"),
                  doc="per_layer: each weight to the sparsity; global: one threshold over all"),
              Opt("layers", "name_list", None,
                  doc="the layers whose weights are pruned (default: every trained one)"),
              Opt("finetune", "duration", None,
                  doc="training at the final sparsity after the schedule (default none)"),
              Opt("lr", "float", None, min=0.0, min_inclusive=False,
                  doc="the phase's learning rate (default: the training's last)"))
# `distill { teacher = model("runs/big/model")  temperature = 4  alpha = 0.9 }`: Hinton et
# al. (2015): the training loss is alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) *
# the cross-entropy with the labels, softmax_T = softmax(logits / T); the teacher's softened
# outputs are computed once per split (runtime/distill.py), the loss in the step (ops/distill.py)
DISTILL_TEACHERS = {
    "model": Choice("model", (Opt("path", "str", required=True, positional=True,
                                  doc="a saved model's folder (what `recipec run` leaves)"),),
                    "a trained model, loaded"),
    "recipe": Choice("recipe", (Opt("path", "str", required=True, positional=True,
                                    doc="a recipe file, trained first"),),
                     "a recipe, trained before the student (also a plain string)"),
}
DISTILL_KEYS = (Opt("teacher", "str_or_call", required=True,
                    doc='model("folder") | recipe("file.recipe") | "file.recipe"'),
                Opt("temperature", "float", 4.0, min=0.0, min_inclusive=False,
                    doc="T: both softmaxes of the soft term are taken of logits / T"),
                Opt("alpha", "float", 0.9, min=0.0, max=1.0,
                    doc="the soft term's weight; 1 - alpha weighs the labels' cross-entropy"))
# `quantize { method = int8  calibration = 512 samples  per_channel = true }`: post-training
# quantisation after the training (compiler/quantize.py, runtime/quantize.py): the weights of
# every dense and conv layer to int8 (symmetric, per output channel or per tensor), each such
# layer's input to int8 with a scale from the calibration rows' largest magnitude; the
# products run in int8 with int32 sums, the rest of the model in float32
QUANTIZE_KEYS = (Opt("method", "enum", "int8", choices=("int8",),
                     doc="int8: symmetric 8-bit weights and activations, int32 accumulation"),
                 Opt("calibration", "samples", 512, min=1,
                     doc="training rows whose activations set the input scales"),
                 Opt("per_channel", "bool", True,
                     doc="one weight scale per output unit / filter (else one per tensor)"),
                 Opt("layers", "name_list", None,
                     doc="the layers quantised (default every dense, conv1d and conv2d)"))
DATA_KEYS = (Opt("source", "call", required=True),
             Opt("test", "call", None, doc="source of the test split; overrides a test split "
                 "that `source` itself provides (mnist, npz with x_test)"),
             Opt("scale", "float", 1.0, min=0.0, min_inclusive=False,
                 doc="multiply raw input values by this before normalization"),
             # compiler/cleaning.py: both fitted on the training split, before normalizing
             Opt("impute", "call", None, doc="missing values: none | mean | median | "
                 "constant(v) | drop"),
             Opt("outliers", "call", None, doc="none | clip(z = 3) | drop(z = 3) | "
                 "iqr(k = 1.5)"),
             Opt("normalize", "enum", "none", choices=NORMALIZE),
             Opt("validation", "float_or_call", 0.0, min=0.0, max=1.0, max_inclusive=False,
                 doc="a held-out fraction, or kfold(k): k trainings, each fold held out once"),
             Opt("shuffle", "bool", True),
             # the validation/k-fold split's seed; default the train seed. Runs that differ
             # only in train.seed (initial weights, order, dropout) then hold the same rows
             Opt("split_seed", "int", None, min=0,
                 doc="seed of the validation split (default: train.seed)"),
             Opt("augment", "call_list", (), doc="random transforms of each training batch, "
                 "in order: shift(p), flip(), rotate(deg), noise(std); training only"),
             # How stored samples become the model's `input` (runtime/data/layout.py): data
             # whose shape differs from `input` is an error unless one of these says how.
             Opt("reshape", "shape", None, doc="read each sample's values (row-major) as this "
                 "shape, e.g. [1, 8, 8]; the count must match"),
             Opt("layout", "enum", "chw", choices=LAYOUTS, doc="hwc: samples are stored "
                 "[H, W, C] (channels last) and converted once at load to [C, H, W]"),
             # runtime/data/rows.py: data larger than this streams from disk in chunks
             Opt("memory", "size", "auto", min=1 << 16, choices=("auto",),
                 doc="memory the prepared data may take; beyond it, training streams it "
                     "from disk (auto: half of the machine's memory)"))
# Exactly one of epochs / steps (Caffe's max_iter) bounds the training; the checker enforces it.
# Keras' EarlyStopping: stop when `monitor` has not improved by min_delta for `patience`
# epochs; restore_best puts back the state of the best epoch (runtime/monitor.py)
EARLY_STOP_KEYS = (MONITOR, MODE,
                   Opt("patience", "int", 5, min=0),
                   Opt("min_delta", "float", 0.0, min=0.0),
                   Opt("restore_best", "bool", True))
TRAIN_KEYS = (Opt("epochs", "int", None, min=1),
              Opt("steps", "int", None, min=1, doc="total optimizer steps, across epochs"),
              Opt("batch", "int", 32, min=1),
              Opt("seed", "int", 0, min=0),
              # runtime/checkpoint.py: every this long, and at the end and on SIGINT/SIGTERM
              Opt("checkpoint", "duration", None, doc="write a checkpoint this often"),
              Opt("keep", "int", 3, min=1, doc="checkpoints kept (the newest)"),
              # also best.safetensors, the epoch with the best value of this monitor (auto:
              # early_stop's monitor, else val_loss where there is a validation split)
              Opt("keep_best", "name", "auto",
                  doc="auto, none, or the monitor whose best epoch is kept as best.safetensors"),
              # compiler/lower/: the Numba CPU kernels, or Numba CUDA (numba-cuda, a GPU or
              # NUMBA_ENABLE_CUDASIM=1); `--target` on the command line overrides it
              Opt("target", "enum", "cpu", choices=("cpu", "cuda"),
                  doc="where the training step runs"))
