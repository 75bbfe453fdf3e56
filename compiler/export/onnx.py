"""The prediction IR as an ONNX graph: one converter per op name, and one for every
elementwise op at once, from its formula (ops/formula.py), so an activation added to
recipec exports with no change here.

Pinned: opset 17 and IR version 8, which every onnxruntime since 1.14 loads (a runtime
refuses an IR version newer than it knows). Everything is float32 (an int8 model's weights
and quantised inputs aside: QuantizeLinear / DequantizeLinear pairs); a run-time
hyperparameter (an activation's alpha) becomes a constant of the value the model was trained
with. An op with no ONNX form raises ExportUnsupported naming it.
"""
from __future__ import annotations

import numpy as np

from ..ir import BATCH, Graph, Value
from ..ops import get_op
from ..ops.formula import Expr, flat as flat_index, input_

OPSET = 17
IR_VERSION = 8


class ExportUnsupported(Exception):
    """The model holds something ONNX export cannot express yet (the message names it)."""


class Builder:
    """Nodes, initialisers and fresh names of one ONNX graph under construction."""

    def __init__(self):
        import onnx
        self.onnx = onnx
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0

    def fresh(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def constant(self, array, stem: str = "c") -> str:
        from onnx import numpy_helper
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, array, stem: str) -> str:
        """A parameter: a sparse tensor (COO, linear int64 indices) where that is the
        smaller form, a pruned weight's (12 bytes per non-zero against 4 per entry: below a
        third non-zero), else a dense initialiser. The sparse one is a Constant node's
        `sparse_value` rather than a graph sparse_initializer, which ONNX's type inference
        (checker's full check) does not see; onnxruntime makes it dense at load."""
        array = np.ascontiguousarray(array)
        nonzero = np.flatnonzero(array)
        if array.ndim < 2 or 3 * nonzero.size >= array.size:
            return self.constant(array, stem)
        from onnx import numpy_helper
        name = self.fresh(stem)
        values = numpy_helper.from_array(array.ravel()[nonzero], name + "_values")
        indices = numpy_helper.from_array(nonzero.astype(np.int64), name + "_indices")
        sparse = self.onnx.helper.make_sparse_tensor(values, indices, list(array.shape))
        self.nodes.append(self.onnx.helper.make_node("Constant", [], [name],
                                                     sparse_value=sparse))
        return name

    def scalar(self, value: float) -> str:
        return self.constant(np.array(value, np.float32), "k")

    def op(self, kind: str, inputs: list[str], stem: str | None = None, **attrs) -> str:
        out = self.fresh(stem or kind.lower())
        self.nodes.append(self.onnx.helper.make_node(kind, inputs, [out], **attrs))
        return out

    def model(self, x_name: str, x_shape, out_name: str, out_shape, name: str):
        helper, TensorProto = self.onnx.helper, self.onnx.TensorProto
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ["N", *x_shape])],
            [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["N", *out_shape])],
            self.initializers)
        model = helper.make_model(graph, producer_name="recipec",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        return model


# -- elementwise ops: their formula trees --------------------------------------------------------
_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "max": "Max", "min": "Min",
           "gt": "Greater"}
_UNARY = {"exp": "Exp", "tanh": "Tanh", "erf": "Erf", "neg": "Neg"}


def _formula(b: Builder, e: Expr) -> str:
    if e.op == "input":
        return e.value
    if e.op == "const":
        number, kind = e.value
        if kind == "int":
            raise ExportUnsupported("an integer formula constant (the RNG's) in prediction")
        return b.scalar(float(number))
    if e.op == "f32":                      # float32 already: every value here is
        return _formula(b, e.args[0])
    args = [_formula(b, a) for a in e.args]
    if e.op in _BINARY:
        return b.op(_BINARY[e.op], args)
    if e.op in _UNARY:
        return b.op(_UNARY[e.op], args)
    if e.op == "expm1":
        return b.op("Sub", [b.op("Exp", args), b.scalar(1.0)])
    if e.op == "log1p":
        return b.op("Log", [b.op("Add", [args[0], b.scalar(1.0)])])
    if e.op == "where":
        return b.op("Where", args)
    raise ExportUnsupported(f"the formula op {e.op!r} (the counter RNG: dropout or "
                            "augmentation in the prediction graph)")


# -- the other ops -------------------------------------------------------------------------------
def _pads(padding) -> list[int]:
    """((before, after), ...) per spatial axis -> ONNX's [b1, b2, ..., a1, a2, ...]."""
    padding = [tuple(p) for p in padding]
    return [p[0] for p in padding] + [p[1] for p in padding]


def _per_axis(value, spatial: int) -> list[int]:
    """An attr given once or per spatial axis, per axis."""
    values = [int(v) for v in (value if isinstance(value, (tuple, list)) else (value,))]
    return values * spatial if len(values) == 1 else values


def _quantized_input(b, n, names, x: str) -> str:
    """x through QuantizeLinear and DequantizeLinear when the product's weight is int8
    (the QDQ form: onnxruntime runs the pair and the product as one int8 kernel)."""
    scale = names.get(("int8 input", n.inputs[1].id))
    if scale is None:
        return x
    zero = b.constant(np.array(0, np.int8), "zero_point")
    return b.op("DequantizeLinear", [b.op("QuantizeLinear", [x, scale, zero]), scale, zero])


def _matmul(b, n, names):
    a, w = (names[v.id] for v in n.inputs)
    a = _quantized_input(b, n, names, a)
    if n.attrs.get("trans_a"):
        a = b.op("Transpose", [a], perm=[1, 0])
    if n.attrs.get("trans_b"):
        w = b.op("Transpose", [w], perm=[1, 0])
    return b.op("MatMul", [a, w])


def _conv(b, n, names):
    x, w = (names[v.id] for v in n.inputs)
    x = _quantized_input(b, n, names, x)
    spatial = len(n.inputs[0].shape) - 2
    padding = n.attrs.get("padding", ((0, 0),) * spatial)
    return b.op("Conv", [x, w], strides=_per_axis(n.attrs.get("stride", 1), spatial),
                pads=_pads(padding))


def _pool(kind):
    def convert(b, n, names):
        spatial = len(n.inputs[0].shape) - 2
        return b.op(kind, [names[n.inputs[0].id]],
                    kernel_shape=_per_axis(n.attrs["size"], spatial),
                    strides=_per_axis(n.attrs["stride"], spatial))
    return convert


def _reshape(b, n, names):
    shape = [0 if d == BATCH else int(d) for d in n.attrs["shape"]]
    return b.op("Reshape", [names[n.inputs[0].id], b.constant(np.array(shape, np.int64), "shape")])


def _softmax(b, n, names):
    return b.op("Softmax", [names[n.inputs[0].id]], axis=1)


def _batchnorm_infer(b, n, names):
    x, gamma, beta, mean, var = (names[v.id] for v in n.inputs[:5])
    return b.op("BatchNormalization", [x, gamma, beta, mean, var],
                epsilon=float(names[("value", n.inputs[5].id)]))


CONVERTERS = {"matmul": _matmul, "conv": _conv, "maxpool": _pool("MaxPool"),
              "avgpool": _pool("AveragePool"), "reshape": _reshape, "softmax": _softmax,
              "batchnorm_infer": _batchnorm_infer}


def lower_predict(b: Builder, g: Graph, tensors: dict[str, np.ndarray], hypers: dict[str, float],
                  x_name: str, int8: dict[str, np.ndarray] | None = None) -> str:
    """Append the prediction graph `g` to `b`, reading its input from `x_name`: the
    parameters and statistics from `tensors` (by name), run-time hyperparameters from
    `hypers`. With `int8` (a quantised model's codes and scales, compiler/quantize.py) each
    quantised weight is an int8 initialiser read through DequantizeLinear (per channel) and
    its product's input goes through QuantizeLinear / DequantizeLinear: the QDQ form.
    Returns the name of the output (the model's raw outputs, logits for classification)."""
    names: dict = {}
    int8 = int8 or {}
    for v in g.inputs:
        if v.role == "x":
            names[v.id] = x_name
        elif v.role == "param" and f"{v.name}:int8" in int8:
            names[v.id], names[("int8 input", v.id)] = _int8_weight(b, v, int8)
        elif v.role in ("param", "stat"):
            array = np.asarray(tensors[v.name], np.float32)
            add = b.weight if v.role == "param" else b.constant
            names[v.id] = add(array.reshape(tuple(int(d) for d in v.shape)),
                              v.name.replace(".", "_").replace(":", "_"))
        elif v.role == "hyper":
            names[("value", v.id)] = hypers[v.name]
            names[v.id] = b.scalar(hypers[v.name])
        elif v.role == "const":
            names[v.id] = b.scalar(1.0)
        else:
            raise ExportUnsupported(f"a prediction input of role {v.role!r} ({v.name})")
    for node in g.nodes:
        for part in (node.attrs["body"] if node.op == "fused" else [node]):
            _convert(b, part, names)
    return names[g.outputs["output"].id]


def _int8_weight(b: Builder, v: Value, int8: dict) -> tuple[str, str]:
    """(the dequantised weight, the input's scale) of a quantised parameter `v`."""
    codes = np.asarray(int8[f"{v.name}:int8"], np.int8)
    w_scale = np.asarray(int8[f"{v.name}:scale"], np.float32)
    layer = v.name.rsplit(".", 1)[0]
    x_scale = np.asarray(int8[f"{layer}.input:scale"], np.float32).reshape(())
    stem = v.name.replace(".", "_")
    if codes.ndim == 2 and tuple(codes.shape) != tuple(int(d) for d in v.shape):
        codes, axis = np.ascontiguousarray(codes.T), 1     # a dense weight: stored [N, K]
    else:
        axis = 0                                           # a conv's: [F, C, *k]
    weight = b.op("DequantizeLinear", [b.constant(codes, stem + "_int8"),
                                       b.constant(w_scale, stem + "_scale"),
                                       b.constant(np.zeros(len(w_scale), np.int8),
                                                  stem + "_zero")],
                  stem, axis=axis)
    return weight, b.constant(x_scale, stem + "_input_scale")


def _convert(b: Builder, node, names) -> None:
    spec = get_op(node.op)
    if spec.elementwise:
        args = [input_(names[v.id]) for v in node.inputs]
        names[node.outputs[0].id] = _formula(b, spec.formula(args, node.attrs, flat_index("e")))
        return
    convert = CONVERTERS.get(node.op)
    if convert is None:
        raise ExportUnsupported(f"the op {node.op!r} has no ONNX form yet")
    names[node.outputs[0].id] = convert(b, node, names)
