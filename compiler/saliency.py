"""The input-gradient graph `recipec explain` runs: d(chosen logits) / d(model input).

Built like the prediction graph (inference mode: dropout off, batch norm on its running
statistics) and differentiated by the same autodiff pass as training, with respect to the
model's input instead of the parameters. It is shaped as a prediction graph so that every
target compiles it with the kernel it already has (`predict_chunk`: gather a batch of rows,
run the graph, write a row per sample): its rows pack the model input and a weight per
class, [B, F + C], and its output is the gradient, [B, F]. With one-hot weights on class c a
row's output is d z_c / d x, its saliency (Simonyan et al. 2014); integrated gradients
(Sundararajan et al. 2017) average it along a path of such rows (runtime/explain/saliency.py).

`compile_saliency` lowers it beside the recipe's training graph (unchanged, so the kernel
cache has that one already) into an Executable whose state is the model's.
"""
from __future__ import annotations

import math

from .build import BuildContext
from .ir import BATCH, Graph, TensorType
from .passes.autodiff import grad
from .recipe import Recipe


def build_saliency_graph(recipe: Recipe) -> Graph:
    model = recipe.model
    features = math.prod(int(d) for d in model.input_shape)
    classes = math.prod(int(d) for d in model.output_shape)
    g = Graph()
    packed = g.input("x", TensorType((BATCH, features + classes)), "x")
    x = g.add("columns", packed, start=0, stop=features)
    weights = g.add("columns", packed, start=features, stop=features + classes)
    h = g.add("reshape", x, shape=(BATCH,) + tuple(model.input_shape))
    ctx = BuildContext(g, training=False)
    for spec in model.layers:
        h = ctx.build_layer(h, spec)
    logits = h if len(h.shape) == 2 else g.add("reshape", h, shape=(BATCH, classes))
    score = g.add("score", logits, weights)
    g.outputs["output"] = grad(g, score, [x])[x.id]
    return g


def compile_saliency(recipe: Recipe, target: str = "cpu"):
    """A CompiledProgram whose predict_chunk computes input gradients (see above)."""
    from .pipeline import CompiledProgram, lower_program, optimize, passes_of
    from .step import build_step_graphs

    passes = passes_of(target)
    graphs = build_step_graphs(recipe)
    graphs.train = optimize(graphs.train, passes)
    graphs.predict = optimize(build_saliency_graph(recipe), passes)
    compiled = CompiledProgram(recipe, graphs, None, {}, target)
    lower_program(compiled)
    return compiled
