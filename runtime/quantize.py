"""`quantize { method = int8 ... }` after the training: calibrate, quantise, evaluate and time
the int8 model beside the float32 one (compiler/quantize.py builds the int8 graph).

Calibration runs the float prediction graph in the reference interpreter over the first
`calibration` rows of the training split in a seeded order (the recipe's seed), recording the
largest |value| each quantised layer reads. Both models are then run by compiled kernels on
the same split, batch and threads: the report gives each one's metrics, how often their
predicted classes agree, and their inference speed (best of three passes over the rows).
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..compiler.interpret import run_graph
from ..compiler.quantize import compile_int8, input_scale, weight_codes
from .metrics import evaluate_outputs

PASSES = 3          # timed passes over the split per model; the best counts


class Int8Model:
    """The trained program's int8 twin: its own compiled prediction kernel and state,
    calibrated on `calibration_rows` (prepared samples) or, with `stored`, the codes and
    scales a run kept (runtime/model/artifact.py's int8.safetensors)."""

    def __init__(self, program, calibration_rows: np.ndarray | None = None,
                 stored: dict[str, np.ndarray] | None = None):
        self.program = program
        self.recipe = program.recipe
        self.compiled, self.plan, float_graph = compile_int8(self.recipe)
        self.executable = self.compiled.executable
        held = {t.name for t in self.executable.tensors}
        state = {k: v for k, v in program.executable.state().items() if k in held}
        spec = self.recipe.quantize
        if stored is not None:
            state.update(stored)
            self.peaks = {q.layer: float(stored[f"{q.layer}.input:scale"][0]) * 127
                          for q in self.plan}
        else:
            self.peaks = calibrate(float_graph, program, self.plan, calibration_rows)
            for q in self.plan:
                codes, scale = weight_codes(state[q.weight], q.op, spec.per_channel)
                state[f"{q.weight}:int8"] = codes
                state[f"{q.weight}:scale"] = scale
                state[f"{q.layer}.input:scale"] = input_scale(self.peaks[q.layer])
        self.executable.load_state(state)
        self.executable.set_hypers({h.name: h.value for h in program.graphs.hypers
                                    if h.name in {g.name for g in self.compiled.graphs.hypers}})

    def int8_tensors(self) -> dict[str, np.ndarray]:
        """The state only the int8 graph reads: codes, weight and input scales."""
        state = self.executable.state()
        return {name: np.asarray(state[name]) for q in self.plan
                for name in (f"{q.weight}:int8", f"{q.weight}:scale", f"{q.layer}.input:scale")}

    def outputs(self, x: np.ndarray, batch: int = 256) -> np.ndarray:
        """As Program.outputs, through the int8 kernel."""
        width = math.prod(self.recipe.model.input_shape)
        x = np.ascontiguousarray(x.reshape(len(x), width), dtype=np.float32)
        out = np.empty((len(x),) + tuple(self.recipe.model.output_shape), np.float32)
        self.executable.predict_rows(x, out, batch)
        return out


def calibrate(float_graph, program, plan, rows: np.ndarray) -> dict[str, float]:
    """Each quantised layer's largest input magnitude over `rows` (prepared samples)."""
    g = float_graph
    saved = dict(g.outputs)
    g.outputs = {**saved, **{f"calibrate:{q.layer}": _value(g, q.input_id) for q in plan}}
    try:
        state = program.executable.state()
        feeds = {"x": rows.reshape((len(rows),) + tuple(program.recipe.model.input_shape))}
        for v in g.inputs:
            if v.name in state:
                feeds[v.name] = state[v.name]
        out = run_graph(g, feeds, program.graphs.hypers)
    finally:
        g.outputs = saved
    return {q.layer: float(np.abs(out[f"calibrate:{q.layer}"]).max()) for q in plan}


def _value(g, value_id: int):
    for node in g.nodes:
        for o in node.outputs:
            if o.id == value_id:
                return o
    for v in g.inputs:
        if v.id == value_id:
            return v
    raise KeyError(value_id)


def calibration_rows(program, count: int) -> np.ndarray:
    split = program.data.train
    order = np.random.default_rng(program.recipe.train.seed).permutation(len(split))[:count]
    x = split.x.take(np.sort(order)) if split.streamed else split.x[np.sort(order)]
    return np.asarray(x, np.float32)


def _timed(outputs, x: np.ndarray) -> tuple[np.ndarray, float]:
    best, out = math.inf, None
    for _ in range(PASSES):
        start = time.perf_counter()
        out = outputs(x)
        best = min(best, time.perf_counter() - start)
    return out, best


def quantize_phase(program, split_name: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Calibrate and quantise the trained program: (its report, see the module docstring;
    the int8 state: codes, weight scales and input scales by name, what the model folder
    keeps for the ONNX export)."""
    spec = program.recipe.quantize
    rows = calibration_rows(program, spec.calibration)
    start = time.perf_counter()
    model = Int8Model(program, rows)
    seconds = time.perf_counter() - start
    part = getattr(program.data, split_name)
    x = np.ascontiguousarray(part.x.reshape(len(part.x), -1), dtype=np.float32)
    model.outputs(x[:1])                                     # both kernels loaded first
    program.outputs(x[:1])
    float_out, float_s = _timed(program.outputs, x)
    int8_out, int8_s = _timed(model.outputs, x)
    loss, metrics = program.graphs.loss_value, program.recipe.metrics
    agree = float((float_out.reshape(len(x), -1).argmax(1)
                   == int8_out.reshape(len(x), -1).argmax(1)).mean())
    sizes = {"float32": int(sum(program.executable.state()[q.weight].nbytes
                                for q in model.plan)),
             "int8": int(sum(model.executable.state()[f"{q.weight}:int8"].nbytes
                             for q in model.plan))}
    report = {"method": spec.method, "per_channel": spec.per_channel,
              "calibration_rows": int(len(rows)), "layers": [q.layer for q in model.plan],
              "input_peaks": model.peaks, "split": split_name, "rows": int(len(x)),
              "float32": evaluate_outputs(float_out, part.y, loss, metrics),
              "int8": evaluate_outputs(int8_out, part.y, loss, metrics),
              "agreement": agree,
              "seconds": {"float32": float_s, "int8": int8_s, "quantize": seconds},
              "samples_per_second": {"float32": len(x) / float_s, "int8": len(x) / int8_s},
              "weight_bytes": sizes}
    return report, model.int8_tensors()
