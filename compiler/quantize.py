"""Post-training int8 quantisation of the prediction graph (`quantize { method = int8 }`).

The float32 prediction graph is copied with each quantised layer's product replaced:

    matmul(x, W)      ->  dequantize(matmul_i8(quantize_i8(x, s_x), Wq^T), s_x, s_W)
    conv(x, W)        ->  dequantize(conv_i8(quantize_i8(x, s_x), Wq), s_x, s_W)

everything else (bias, activations, pools, batch norm, softmax) staying float32, as ONNX's
QDQ form and TFLite's int8 kernels place the boundaries. Symmetric scales: s_W per output
unit / filter (or per tensor) = max|W| / 127, so Wq = round(W / s_W) in [-127, 127]; s_x, the
layer input's, = its largest magnitude over the calibration rows / 127 (runtime/quantize.py
measures it with the reference interpreter). The int8 weights and the scales are state the
prediction graph alone reads (`<layer>.weight:int8`, `<layer>.weight:scale`,
`<layer>.input:scale`); `compile_int8` lowers the copy beside the recipe's training graph.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ir import Graph, TensorType, Value
from .ops.quantize import QMAX, quantize_values
from .recipe import Recipe

PRODUCTS = ("matmul", "conv")


@dataclass(frozen=True)
class QuantizedLayer:
    layer: str                  # "dense_1"
    op: str                     # "matmul" | "conv"
    weight: str                 # the float parameter, "dense_1.weight"
    input_id: int               # the float graph's value this product reads (calibrated)


def quantized_layers(predict: Graph, layers: tuple[str, ...]) -> list[QuantizedLayer]:
    """The products of `layers`' weights in the float prediction graph, in graph order."""
    wanted = {f"{name}.weight": name for name in layers}
    found = []
    for node in predict.nodes:
        if node.op in PRODUCTS and len(node.inputs) == 2:
            x, w = node.inputs
            if w.role == "param" and w.name in wanted:
                found.append(QuantizedLayer(wanted[w.name], node.op, w.name, x.id))
    return found


def int8_graph(predict: Graph, plan: list[QuantizedLayer]) -> Graph:
    """A copy of the float prediction graph with the products of `plan` in int8."""
    by_weight = {q.weight: q for q in plan}
    g = Graph()
    env: dict[int, Value] = {}
    for v in predict.inputs:
        if v.name in by_weight:
            continue                                  # read as int8 codes instead
        env[v.id] = g.input(v.name, v.type, v.role)
    for node in predict.nodes:
        q = by_weight.get(node.inputs[1].name) if node.op in PRODUCTS and \
            len(node.inputs) == 2 else None
        if q is None:
            outs = g.add_multi(node.op, *(env[v.id] for v in node.inputs), **node.attrs)
        else:
            outs = (_int8_product(g, q, env[node.inputs[0].id], node),)
        for old, new in zip(node.outputs, outs):
            env[old.id] = new
    g.outputs = {name: env[v.id] for name, v in predict.outputs.items()}
    return g


def _int8_product(g: Graph, q: QuantizedLayer, x: Value, node) -> Value:
    w = node.inputs[1]
    shape = tuple(int(d) for d in w.shape)
    channels = shape[1] if q.op == "matmul" else shape[0]
    codes_shape = (shape[1], shape[0]) if q.op == "matmul" else shape
    codes = g.input(f"{q.weight}:int8", TensorType(codes_shape, "int8"), "stat")
    w_scale = g.input(f"{q.weight}:scale", TensorType((channels,), "float32"), "stat")
    x_scale = g.input(f"{q.layer}.input:scale", TensorType((1,), "float32"), "stat")
    xq = g.add("quantize_i8", x, x_scale)
    if q.op == "matmul":
        acc = g.add("matmul_i8", xq, codes)
        return g.add("dequantize", acc, x_scale, w_scale, axis=-1)
    acc = g.add("conv_i8", xq, codes, **node.attrs)
    return g.add("dequantize", acc, x_scale, w_scale, axis=1)


def weight_codes(weight: np.ndarray, op: str, per_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    """(int8 codes in the kernel's layout, float32 scale per output channel) of a weight."""
    w = np.asarray(weight, np.float64)
    axis = 1 if op == "matmul" else 0                 # dense [K, N]: units last; conv [F, ...]
    moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    peak = np.abs(moved).max(axis=1) if per_channel else np.full(w.shape[axis], np.abs(w).max())
    scale = np.where(peak > 0, peak / QMAX, 1.0)
    codes = np.stack([quantize_values(row, s) for row, s in zip(moved, scale)])
    if op == "matmul":
        return np.ascontiguousarray(codes), scale.astype(np.float32)       # [N, K]
    return codes.reshape(w.shape), scale.astype(np.float32)


def input_scale(peak: float) -> np.ndarray:
    return np.array([peak / QMAX if peak > 0 else 1.0], np.float32)


def compile_int8(recipe: Recipe):
    """(CompiledProgram whose predict_chunk runs the int8 model, the plan, the float
    prediction graph the plan's value ids belong to). The CPU target: its kernels are the
    int8 path."""
    from .pipeline import CompiledProgram, lower_program, optimize, passes_of
    from .step import build_step_graphs

    passes = passes_of("cpu")
    graphs = build_step_graphs(recipe)
    float_graph = graphs.predict
    plan = quantized_layers(float_graph, recipe.quantize.layers)
    graphs.train = optimize(graphs.train, passes)
    graphs.predict = optimize(int8_graph(float_graph, plan), passes)
    compiled = CompiledProgram(recipe, graphs, None, {}, "cpu")
    lower_program(compiled)
    return compiled, plan, float_graph
