"""`cross_entropy(class_weights = balanced)`: the weights, computed from the training split's
labels when the data is read, as scikit-learn's compute_class_weight("balanced"):
w_c = n / (C * count_c) over the C classes the model outputs. They are run-time inputs of
the step (`loss.class_weights.<c>`), so setting them compiles nothing."""
from __future__ import annotations

import numpy as np

from ..compiler.losses.cross_entropy import RESOLVED
from .errors import D004, DataError


def class_weights_of(graphs) -> tuple[float, ...] | None:
    """The class weights the loss uses now (explicit or resolved), or None without any."""
    weights = graphs.loss_options.get("class_weights")
    if weights == "balanced":
        return graphs.loss_options.get(RESOLVED)
    return weights


def resolve_balanced(graphs, data, executable=None) -> tuple[float, ...] | None:
    """Compute `balanced` weights from `data.train.y` into the graphs' hyperparameters (and
    the loss options `evaluate` reads); None when the loss has none to compute."""
    if graphs.loss_options.get("class_weights") != "balanced":
        return None
    names = [h.name for h in graphs.hypers if h.name.startswith("loss.class_weights.")]
    classes = len(names)
    counts = np.bincount(np.asarray(data.train.y, np.int64), minlength=classes)[:classes]
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        label = (data.class_names[missing[0]] if data.class_names is not None
                 else int(missing[0]))
        raise DataError(f"{data.source}: class {label!r} has no row in the training split, so "
                        f"`class_weights = balanced` (n / (classes * count)) is undefined",
                        D004, key="source",
                        hint="give the weights as a list, or use more training data")
    weights = tuple(float(w) for w in len(data.train.y) / (classes * counts))
    set_balanced(graphs, weights, executable)
    return weights


def set_balanced(graphs, weights: tuple[float, ...], executable=None) -> None:
    """`balanced` weights already computed (resolve_balanced, or a model artefact's, which
    has no training labels to compute them from) into the graphs and the executable."""
    names = [h.name for h in graphs.hypers if h.name.startswith("loss.class_weights.")]
    values = dict(zip(names, weights))
    graphs.hypers[:] = [type(h)(h.name, values.get(h.name, h.value)) for h in graphs.hypers]
    graphs.loss_options[RESOLVED] = tuple(weights)
    if executable is not None:
        executable.set_hypers(values)
