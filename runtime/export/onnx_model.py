"""A loaded model (runtime/model/loaded.py) as an ONNX ModelProto taking raw inputs.

The preparation is rebuilt from the stored statistics with ONNX ops in float32; recipec
computes normalization in float64, so outputs agree within float32 rounding (tests compare
them on each recipe's test split in onnxruntime).
"""
from __future__ import annotations

import numpy as np

from ..errors import ModelError


def _preparation(b, data, x: str) -> str:
    """Nodes turning raw inputs [N, *source_shape] into the model's [N, *feature_shape]."""
    conv = data.conversion
    if conv is not None and not conv.identity:
        if conv.reshape is not None:
            shape = np.array([0, *conv.reshape], np.int64)
            x = b.op("Reshape", [x, b.constant(shape, "reshape")])
        if conv.layout == "hwc":
            x = b.op("Transpose", [x], perm=[0, 3, 1, 2])
    cleaning = data.cleaning
    if cleaning is not None:
        if cleaning.fill is not None:
            fill = b.constant(np.asarray(cleaning.fill, np.float32)[None], "fill")
            x = b.op("Where", [b.op("IsNaN", [x]), fill, x], "imputed")
        if cleaning.low is not None:
            x = b.op("Min", [b.op("Max", [x, b.constant(np.asarray(cleaning.low,
                                                               np.float32)[None], "low")]),
                             b.constant(np.asarray(cleaning.high, np.float32)[None], "high")],
                     "bounded")
    if data.norm_shift is not None:
        shift = b.constant(np.asarray(data.norm_shift, np.float32)[None], "norm_shift")
        scale = b.constant(np.asarray(data.norm_scale, np.float32)[None], "norm_scale")
        x = b.op("Div", [b.op("Sub", [x, shift]), scale], "normalized")
    return x


def onnx_model(model, int8: bool = False):
    """The ModelProto of `model` (a LoadedModel), checked with onnx.checker's full check;
    with `int8`, the QDQ form of the int8 twin its `quantize` run stored."""
    import onnx

    from ...compiler.export.onnx import Builder, ExportUnsupported, lower_predict
    from ...compiler.pipeline import compile_recipe

    data, program = model._prep, model.program
    if data.categories:
        raise ModelError(f"{model.folder}: the text columns "
                         f"{', '.join(c.name for c in data.categories)} cannot be exported to "
                         "ONNX yet (their one-hot encoding takes strings)", "M005")
    b = Builder()
    x = "input"
    prepared = _preparation(b, data, x)
    state = program.executable.state()
    hypers = {h.name: float(v) for h, v in zip(program.graphs.hypers, program.executable.hypers)}
    # the prediction graph after the neutral passes only: the CPU's (its epilogue folding)
    # make ops that exist for its kernels, not for ONNX
    graphs = compile_recipe(model.recipe, None, lower=False).graphs
    codes = None
    if int8:
        from ..model.artifact import read_int8
        codes = read_int8(model.folder, model.manifest)
        if codes is None:
            raise ModelError(f"{model.folder}: has no int8 twin (its recipe has no `quantize "
                             "{ ... }` section, or it was trained before one was added)", "M005")
    try:
        out = lower_predict(b, graphs.predict, state, hypers, prepared, codes)
    except ExportUnsupported as err:
        raise ModelError(f"{model.folder}: cannot be exported to ONNX: {err}", "M005") from None
    task = data.task.name
    if task == "classification":
        out = b.op("Softmax", [out], "probabilities", axis=1)
    elif task == "binary":
        out = b.op("Sigmoid", [out], "probabilities")
    out = b.op("Identity", [out], "output")
    proto = b.model(x, list(data.source_shape), out,
                    list(int(d) for d in program.recipe.model.output_shape),
                    program.recipe.name)
    onnx.checker.check_model(proto, full_check=True)
    return proto
