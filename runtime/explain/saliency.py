"""Gradient saliency and integrated gradients of an image model, from the compiled input-gradient
kernel (compiler/saliency.py).

saliency(x)   d z_c / d x for each sample's class c (its predicted class unless given):
              Simonyan, Vedaldi & Zisserman (2014), shown as |gradient| (the largest over
              channels).
integrated    (x - x0) * the mean of d z_c / d x over STEPS points x0 + a (x - x0), a at the
              midpoints of STEPS equal parts of [0, 1]: Sundararajan, Taly & Yan (2017). The
              baseline x0 is an all-zero raw sample (a black image) as the model's
              preparation maps it. Completeness: the maps sum to z_c(x) - z_c(x0), up to the
              sum's discretisation (`completeness_gap` reports it per sample).
Everything runs in the compiled kernels; Python only packs rows and averages.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STEPS = 32


@dataclass
class Explanation:
    inputs: np.ndarray            # prepared samples [N, *input_shape]
    pictures: np.ndarray          # the same before normalization (what the figure shows)
    classes: np.ndarray           # int64 [N]: the class each map explains
    probabilities: np.ndarray     # [N]: the model's probability of that class
    saliency: np.ndarray          # [N, *input_shape]: d z_c / d x
    integrated: np.ndarray        # [N, *input_shape]: integrated gradients
    completeness_gap: np.ndarray  # [N]: |sum(integrated) - (z_c(x) - z_c(x0))| / |z_c(x) - z_c(x0)|


class InputGradients:
    """The model's input-gradient kernel with the model's weights in it."""

    def __init__(self, model):
        from ...compiler.saliency import compile_saliency

        self.model = model
        self.recipe = model.recipe
        self.compiled = compile_saliency(self.recipe)
        self.executable = self.compiled.executable
        self.executable.load_state(dict(model.program.executable.state()))
        self.executable.set_hypers({h.name: h.value for h in model.program.graphs.hypers})
        self.features = math.prod(int(d) for d in self.recipe.model.input_shape)
        self.classes = math.prod(int(d) for d in self.recipe.model.output_shape)

    def __call__(self, x: np.ndarray, classes: np.ndarray, batch: int = 256) -> np.ndarray:
        """d z_c / d x for rows x [N, F] (prepared) and classes [N]: [N, F]."""
        n = len(x)
        packed = np.zeros((n, self.features + self.classes), np.float32)
        packed[:, :self.features] = x.reshape(n, self.features)
        packed[np.arange(n), self.features + classes] = 1.0
        out = np.empty((n, self.features), np.float32)
        self.executable.predict_rows(packed, out, batch)
        return out


def baseline(model) -> np.ndarray:
    """An all-zero raw sample as the model's preparation maps it, [F] float32."""
    from ..data.preprocess import normalize_array

    prep = model.preparation
    zero = np.zeros((1,) + tuple(prep.feature_shape), np.float32)
    return normalize_array(zero, prep.norm_shift, prep.norm_scale).reshape(-1)


def explain(model, x: np.ndarray, classes: np.ndarray | None = None,
            steps: int = STEPS) -> Explanation:
    """Saliency and integrated gradients for prepared samples x [N, *input_shape]."""
    grads = InputGradients(model)
    n, f = len(x), grads.features
    rows = np.ascontiguousarray(x.reshape(n, f), dtype=np.float32)
    logits = model.program.outputs(rows).reshape(n, -1).astype(np.float64)
    if classes is None:
        classes = logits.argmax(axis=1)
    classes = np.asarray(classes, np.int64)
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = (z / z.sum(axis=1, keepdims=True))[np.arange(n), classes]
    saliency = grads(rows, classes)
    x0 = baseline(model)
    alphas = (np.arange(steps, dtype=np.float64) + 0.5) / steps
    path = (x0[None, None, :] + alphas[None, :, None] * (rows - x0)[:, None, :])
    path = np.ascontiguousarray(path.reshape(n * steps, f), dtype=np.float32)
    along = grads(path, np.repeat(classes, steps)).reshape(n, steps, f).astype(np.float64)
    integrated = (rows - x0) * along.mean(axis=1)
    start = model.program.outputs(np.repeat(x0[None, :], n, axis=0)).reshape(n, -1)
    rise = logits[np.arange(n), classes] - start[np.arange(n), classes]
    gap = np.abs(integrated.sum(axis=1) - rise) / np.maximum(np.abs(rise), 1e-12)
    shape = (n,) + tuple(int(d) for d in model.recipe.model.input_shape)
    prep = model.preparation
    pictures = rows if prep.norm_shift is None else (
        rows * prep.norm_scale.reshape(-1) + prep.norm_shift.reshape(-1))
    return Explanation(rows.reshape(shape), pictures.reshape(shape), classes, probabilities,
                       saliency.reshape(shape), integrated.astype(np.float32).reshape(shape),
                       gap)


def _image(a: np.ndarray) -> np.ndarray:
    """A sample [C, H, W] (or [H, W], [L]) as a 2-D picture: channels averaged."""
    if a.ndim == 3:
        return a.mean(axis=0) if a.shape[0] > 1 else a[0]
    if a.ndim == 1:
        return a[None, :]
    return a


def _magnitude(a: np.ndarray) -> np.ndarray:
    """|map|, the largest over channels (the usual saliency picture)."""
    return np.abs(a).max(axis=0) if a.ndim == 3 else np.abs(_image(a))


def saliency_figure(e: Explanation, class_names, title: str, path) -> None:
    """Rows of (input, |saliency|, integrated gradients) per sample, written atomically."""
    from ..plot.figure import new_figure, save

    n = len(e.classes)
    figure = new_figure(6.6, 2.1 * n + 0.5)
    axes = figure.subplots(n, 3, squeeze=False)
    for i in range(n):
        name = class_names[e.classes[i]] if class_names else str(e.classes[i])
        ig = e.integrated[i].sum(axis=0) if e.integrated[i].ndim == 3 else _image(e.integrated[i])
        limit = float(np.abs(ig).max()) or 1.0
        panels = [(_image(e.pictures[i]), "gray", {}, f"{name} (p = {e.probabilities[i]:.2f})"),
                  (_magnitude(e.saliency[i]), "hot", {}, "|gradient|"),
                  (ig, "coolwarm", {"vmin": -limit, "vmax": limit}, "integrated gradients")]
        for ax, (img, cmap, lim, label) in zip(axes[i], panels):
            ax.imshow(img, cmap=cmap, interpolation="nearest", **lim)
            ax.set_title(label, fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    figure.suptitle(title, fontsize=9)
    save(figure, path)
