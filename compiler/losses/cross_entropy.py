"""Softmax cross-entropy from logits against integer class labels, as torch's
CrossEntropyLoss (reduction='mean'):

  cross_entropy(label_smoothing = 0.0, class_weights = none)

`label_smoothing` in [0, 1) mixes the one-hot target with the uniform one (torch's meaning).
`class_weights = [w_0, ..., w_{C-1}]` (one positive weight per model output) weights each
row's loss by its label's weight and divides by the sum of those weights (torch's `weight`);
`class_weights = balanced` is scikit-learn's compute_class_weight("balanced") over the
training split's labels, n / (C * count_c), computed when the data is read
(runtime/class_weights.py). With either option the smoothing and the weights are run-time
inputs of the step (`loss.label_smoothing`, `loss.class_weights.<c>`): changing them compiles
nothing. Without them the loss is the plain softmax_ce op.
"""
from __future__ import annotations

import numpy as np

from ..options import Opt
from ..tasks import CLASSIFICATION, log_softmax
from . import LossDef, register

# the weights `balanced` resolved to, put into the loss options when the data is read
RESOLVED = "resolved_class_weights"


def _check_output(out, options):
    if not (len(out) == 1 and out[0] >= 2):
        return (f"cross_entropy needs the model to output one score per class, shape [C] "
                f"with C >= 2; the model outputs {list(out)}",
                "end the model with `dense(C)`, C = number of classes")
    weights = options.get("class_weights")
    if isinstance(weights, tuple) and len(weights) != out[0]:
        return (f"cross_entropy: class_weights lists {len(weights)} weights but the model "
                f"outputs {out[0]} classes", f"give one weight per class ({out[0]}), or "
                "`class_weights = balanced`")
    return None


def weights_of(options, classes: int) -> np.ndarray:
    """The class weights the loss uses, float64 [C] (ones without `class_weights`)."""
    weights = options.get("class_weights")
    if weights is None:
        return np.ones(classes)
    if weights == "balanced":
        assert RESOLVED in options, "class_weights = balanced is resolved when the data is read"
        return np.asarray(options[RESOLVED], np.float64)
    return np.asarray(weights, np.float64)


def _plain(options) -> bool:
    return options.get("label_smoothing", 0.0) == 0.0 and options.get("class_weights") is None


def _build(g, logits, y, options, hyper):
    if _plain(options):
        return g.add("softmax_ce", logits, y)
    classes = logits.shape[1]
    weights = weights_of({RESOLVED: (1.0,) * classes, **options}, classes)
    return g.add("softmax_ce_ws", logits, y, hyper("label_smoothing",
                                                   options.get("label_smoothing", 0.0)),
                 *(hyper(f"class_weights.{c}", float(w)) for c, w in enumerate(weights)))


def _value(outputs: np.ndarray, y: np.ndarray, options) -> float:
    nll = -log_softmax(outputs)
    rows = np.arange(len(y))
    if _plain(options):
        return float(nll[rows, y].mean())
    eps = float(options.get("label_smoothing", 0.0))
    w = weights_of(options, outputs.shape[1])
    per_row = (1 - eps) * w[y] * nll[rows, y] + eps / outputs.shape[1] * (nll * w).sum(axis=1)
    return float(per_row.sum() / w[y].sum())


register(LossDef(
    "cross_entropy", CLASSIFICATION, build=_build, value=_value,
    check_output=_check_output, logits_of="softmax",
    opts=(Opt("label_smoothing", "float", 0.0, min=0.0, max=1.0, max_inclusive=False),
          Opt("class_weights", "floats_or_enum", None, min=0.0, min_inclusive=False,
              choices=("balanced",))),
    doc="softmax cross-entropy from logits, integer labels (label_smoothing, class_weights)"))
