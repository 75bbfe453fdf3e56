"""`quantize { method = int8 ... }`: the checker, the int8 ops' references, the compiled int8
kernels against the reference interpreter (bit for bit: integer sums), and a run's report."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import recipec
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.interpret import run_graph
from recipec.compiler.ops import get_op
from recipec.compiler.ops.quantize import quantize_values
from recipec.compiler.quantize import weight_codes
from recipec.runtime.quantize import Int8Model, calibration_rows

BASE = """recipe q
data {{ source = digits  normalize = standard  reshape = {reshape}  validation = 0.2 }}
model {{ {model} }}
loss = cross_entropy
optimizer = adam(lr = 0.01)
train {{ epochs = 3  batch = 32  seed = 2 }}
metrics = [accuracy]
quantize {{ {quantize} }}
"""
CONV = ("[1, 8, 8]", "input [1, 8, 8] conv2d(8, 3, padding = same) relu maxpool2d(2) "
        "conv2d(6, 2, stride = 2, padding = 1) relu flatten dense(24) relu dropout(0.1) "
        "dense(10)")
CONV1D = ("[4, 16]", "input [4, 16] conv1d(5, 3, stride = 2, padding = 1) relu flatten "
          "batchnorm dense(10)")
MLP = ("[64]", "input [64] dense(32) relu dense(10)")


def _recipe(tmp_path, shape_model=CONV, quantize="calibration = 200 samples"):
    path = tmp_path / "q.recipe"
    path.write_text(BASE.format(reshape=shape_model[0], model=shape_model[1],
                                quantize=quantize))
    return path


def _errors(path) -> list[tuple[str, str]]:
    with pytest.raises(RecipeError) as err:
        recipec.load(path)
    return [(d.code, d.message) for d in err.value.diagnostics]


# -- the checker -----------------------------------------------------------------------------
@pytest.mark.frontend
def test_a_quantize_section_checks_into_its_spec(tmp_path):
    spec = recipec.load(_recipe(tmp_path)).quantize
    assert (spec.method, spec.calibration, spec.per_channel) == ("int8", 200, True)
    assert spec.layers == ("conv2d_1", "conv2d_2", "dense_1", "dense_2")
    spec = recipec.load(_recipe(tmp_path, quantize="layers = [dense_2, conv2d_1]  "
                                                   "per_channel = false")).quantize
    assert spec.layers == ("conv2d_1", "dense_2") and not spec.per_channel
    assert recipec.load(_recipe(tmp_path, quantize="calibration = 64")).quantize.calibration \
        == 64


@pytest.mark.frontend
@pytest.mark.parametrize("quantize, code, words", [
    ("layers = [relu_1]", "E102", "has no int8 kernel"),
    ("layers = [maxpool2d_1, dense_1]", "E102", "(maxpool2d) has no int8 kernel"),
    ("layers = [dense_7]", "E102", "no layer named `dense_7`"),
    ("layers = [dense_1, dense_1]", "E105", "named twice"),
    ("calibration = 0 samples", "E202", "calibration"),
    ("calibration = 3 epochs", "E201", "count of rows"),
    ("method = int4", "E104", "int4"),
    ("bits = 8", "E101", "bits"),
])
def test_bad_quantize_values_are_diagnostics(tmp_path, quantize, code, words):
    found = _errors(_recipe(tmp_path, quantize=quantize))
    assert any(c == code and words in m for c, m in found), found


@pytest.mark.frontend
def test_quantizing_beside_a_search_is_refused(tmp_path):
    path = _recipe(tmp_path, MLP)
    path.write_text(path.read_text().replace("adam(lr = 0.01)", "adam(lr = choice(0.01, 0.1))")
                    + "search { trials = 2 }\n")
    assert any(c == "E201" and "quantize" in m for c, m in _errors(path))


@pytest.mark.frontend
def test_quantizing_a_model_that_l1_filters_cuts_is_refused(tmp_path):
    path = _recipe(tmp_path, MLP)
    path.write_text(path.read_text() + "prune { method = l1_filters  sparsity = 0.5 }\n")
    assert any(c == "E201" and "l1_filters" in m for c, m in _errors(path))


# -- the ops ---------------------------------------------------------------------------------
@pytest.mark.frontend
def test_codes_round_half_to_even_and_clip_at_127():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 126.6, 200.0, -300.0, 0.26], np.float32)
    assert quantize_values(x, 1.0).tolist() == [0, 2, 2, 0, -2, 127, 127, -127, 0]
    assert quantize_values(x, 0.5).tolist()[-1] == 1


@pytest.mark.frontend
def test_int8_products_and_convolutions_are_exact_integer_sums():
    rng = np.random.default_rng(0)
    a = rng.integers(-127, 128, (5, 40)).astype(np.int8)
    wt = rng.integers(-127, 128, (7, 40)).astype(np.int8)
    got = get_op("matmul_i8").reference(a, wt)
    assert got.dtype == np.int32
    assert np.array_equal(got, a.astype(np.int64) @ wt.astype(np.int64).T)
    x = rng.integers(-127, 128, (2, 3, 6, 5)).astype(np.int8)
    w = rng.integers(-127, 128, (4, 3, 3, 2)).astype(np.int8)
    attrs = {"stride": (2, 1), "padding": ((1, 0), (0, 1))}
    want = get_op("conv").reference(x.astype(np.float32), w.astype(np.float32), **attrs)
    assert np.array_equal(get_op("conv_i8").reference(x, w, **attrs), want.astype(np.int32))


@pytest.mark.frontend
def test_weight_scales_per_channel_and_per_tensor():
    w = np.array([[0.5, -2.0], [0.25, 1.0], [-0.1, 0.5]], np.float32)      # dense [K=3, N=2]
    codes, scale = weight_codes(w, "matmul", True)
    assert codes.shape == (2, 3) and np.abs(codes).max(axis=1).tolist() == [127, 127]
    np.testing.assert_allclose(codes * scale[:, None], w.T, atol=scale.max() / 2)
    codes, scale = weight_codes(w, "matmul", False)
    assert np.abs(codes).max(axis=1).tolist() == [32, 127] and scale[0] == scale[1]


# -- the compiled int8 kernels ---------------------------------------------------------------
def _int8(tmp_path, shape_model, quantize="calibration = 200 samples"):
    program = recipec.compile(recipec.load(_recipe(tmp_path, shape_model, quantize)))
    program.fit()
    return program, Int8Model(program, calibration_rows(program, 200))


@pytest.mark.parametrize("shape_model, quantize", [
    (CONV, "calibration = 200 samples"), (CONV1D, "calibration = 200 samples"),
    (MLP, "per_channel = false"), (CONV, "layers = [conv2d_2]")],
    ids=["conv2d", "conv1d", "mlp_per_tensor", "one_layer"])
def test_the_int8_kernel_is_the_reference_bit_for_bit(tmp_path, shape_model, quantize):
    program, model = _int8(tmp_path, shape_model, quantize)
    x = program.data.validation.x[:45]
    got = model.outputs(x)
    g = model.compiled.graphs.predict
    state = model.executable.state()
    feeds = {"x": x}
    for v in g.inputs:
        if v.name in state:
            feeds[v.name] = state[v.name]
    want = run_graph(g, feeds, model.compiled.graphs.hypers)["output"]
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
    ops = {n.op for n in g.nodes}
    assert {"quantize_i8", "dequantize"} <= ops and ops & {"matmul_i8", "conv_i8"}
    # the int8 model predicts what the float one does on nearly every row
    agree = (got.argmax(1) == program.outputs(x).argmax(1)).mean()
    assert agree >= 0.9, agree


@pytest.fixture(scope="module")
def saved_conv_model(tmp_path_factory):
    """A conv model trained by `recipec run` with its quantize section: the model folder."""
    tmp = tmp_path_factory.mktemp("q8")
    path = _recipe(tmp, CONV, "calibration = 200 samples")
    out = subprocess.run([sys.executable, "-m", "recipec", "run", str(path), "--runs",
                          str(tmp / "runs")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return next((tmp / "runs").rglob("model.json")).parent


def test_the_int8_onnx_export_is_qdq_and_runs_as_recipecs_int8_kernel(saved_conv_model,
                                                                       tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    import onnx
    from sklearn.datasets import load_digits

    from recipec.runtime.model.artifact import read_int8
    folder = saved_conv_model
    for flag, name in (([], "f32.onnx"), (["--int8"], "i8.onnx")):
        out = subprocess.run([sys.executable, "-m", "recipec", "export", str(folder), *flag,
                              "-o", str(tmp_path / name)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    proto = onnx.load(str(tmp_path / "i8.onnx"))
    kinds = [n.op_type for n in proto.graph.node]
    assert kinds.count("QuantizeLinear") == 4 and kinds.count("DequantizeLinear") == 8
    assert sum(t.data_type == onnx.TensorProto.INT8 and len(t.dims) >= 2
               for t in proto.graph.initializer) == 4
    assert (tmp_path / "i8.onnx").stat().st_size < (tmp_path / "f32.onnx").stat().st_size
    raw = load_digits().images.reshape(-1, 64).astype(np.float32)
    session = ort.InferenceSession(str(tmp_path / "i8.onnx"),
                                   providers=["CPUExecutionProvider"])
    theirs = session.run(None, {"input": raw})[0]
    model = recipec.load_model(folder)
    twin = Int8Model(model.program, stored=read_int8(model.folder, model.manifest))
    z = twin.outputs(model.program.prepare_inputs(raw)).astype(np.float64)
    mine = np.exp(z - z.max(axis=1, keepdims=True))
    mine /= mine.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(theirs, mine, atol=1e-5)
    assert (theirs.argmax(1) == mine.argmax(1)).all()


def test_int8_export_needs_a_quantize_run_and_an_intact_file(saved_conv_model, tmp_path):
    pytest.importorskip("onnx")
    out = subprocess.run([sys.executable, "-m", "recipec", "export", str(saved_conv_model),
                          "--int8", "--format", "npz"], capture_output=True, text=True)
    assert out.returncode == 2 and "--int8 is an ONNX export" in out.stderr
    copy = tmp_path / "model"
    import shutil
    shutil.copytree(saved_conv_model, copy)
    (copy / "int8.safetensors").write_bytes((copy / "int8.safetensors").read_bytes()[:-9])
    out = subprocess.run([sys.executable, "-m", "recipec", "export", str(copy), "--int8",
                          "-o", str(tmp_path / "x.onnx")], capture_output=True, text=True)
    assert out.returncode == 2 and "M002" in out.stderr and "int8.safetensors" in out.stderr
    assert not (tmp_path / "x.onnx").exists() and "Traceback" not in out.stderr
    plain = tmp_path / "plain"
    shutil.copytree(saved_conv_model, plain)
    manifest = json.loads((plain / "model.json").read_text())
    del manifest["int8"]
    (plain / "model.json").write_text(json.dumps(manifest))
    out = subprocess.run([sys.executable, "-m", "recipec", "export", str(plain), "--int8",
                          "-o", str(tmp_path / "y.onnx")], capture_output=True, text=True)
    assert out.returncode == 2 and "M005" in out.stderr and "no int8 twin" in out.stderr


def test_a_run_reports_the_int8_model_beside_the_float_one(tmp_path):
    path = _recipe(tmp_path, MLP, "calibration = 128 samples")
    out = subprocess.run([sys.executable, "-m", "recipec", "run", str(path), "--runs",
                          str(tmp_path / "runs")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "validation int8: loss" in out.stdout and "rows/s" in out.stdout
    report = json.loads(next((tmp_path / "runs").rglob("report.json")).read_text())
    q = report["quantize"]
    assert q["calibration_rows"] == 128 and q["layers"] == ["dense_1", "dense_2"]
    assert q["weight_bytes"]["int8"] * 4 == q["weight_bytes"]["float32"]
    assert abs(q["int8"]["accuracy"] - q["float32"]["accuracy"]) < 0.03
    assert q["samples_per_second"]["int8"] > 0 and 0.9 <= q["agreement"] <= 1.0
