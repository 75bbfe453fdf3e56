"""`recipec export`: a trained model as ONNX (opset 17, IR 8) checked with onnx.checker's full
check and run in onnxruntime on raw inputs, its outputs equal to recipec's predict() within
float32 rounding (the preparation runs in the graph: imputation, bounds, normalization with
scale, the layout conversion); npz and safetensors hold the same tensors."""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.runtime.model import save_model
from tests.hostile import ROOT, accepted, cli, refused, write

onnx = pytest.importorskip("onnx", reason="onnx is in the test extra")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is in the test extra")

RECIPES = ROOT / "recipes"


def _trained(tmp_path, text: str, name: str = "m.recipe", epochs: int = 2):
    path = write(tmp_path, name, text)
    program = recipec.compile(recipec.load(path, [f"train.epochs={epochs}"]))
    program.fit()
    return program, save_model(program, tmp_path / "model")


def _run_onnx(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    return session.run(None, {name: np.asarray(x, np.float32)})[0]


def _exported(tmp_path, folder):
    out = tmp_path / "model.onnx"
    accepted(cli("export", folder, "--format", "onnx", "-o", out))
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8 and model.opset_import[0].version == 17
    return out


CASES = {
    "mlp_standard": ("""recipe mlp
data { source = iris  normalize = standard  validation = 0.3 }
model { input [4] dense(16) gelu dense(16) leaky_relu(0.1) dense(3) }
loss = cross_entropy
optimizer = adam(lr = 0.01)
train { epochs = 2  batch = 16 }
""", lambda: _iris_raw()),
    "binary_scaled": ("""recipe bin
data { source = breast_cancer  scale = 0.01  normalize = minmax }
model { input [30] dense(8) elu dense(1) }
loss = binary_cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 2  batch = 32 }
""", lambda: _cancer_raw()),
    "cnn_batchnorm_pools": ("""recipe cnn
data { source = digits  reshape = [1, 8, 8]  normalize = standard }
model { input [1, 8, 8] conv2d(4, 3, padding = same) batchnorm relu maxpool2d(2)
        conv2d(6, 2, stride = 1) selu avgpool2d(1) flatten dense(10) }
loss = cross_entropy
optimizer = adam(lr = 0.01)
train { epochs = 1  batch = 64 }
""", lambda: _digits_raw()),
}


def _iris_raw():
    from sklearn.datasets import load_iris
    return load_iris().data[::7]


def _cancer_raw():
    from sklearn.datasets import load_breast_cancer
    return load_breast_cancer().data[::11]


def _digits_raw():
    from sklearn.datasets import load_digits
    return load_digits().data[::37]


@pytest.mark.parametrize("case", sorted(CASES))
def test_onnx_runs_in_onnxruntime_as_predict(case, tmp_path):
    text, raw = CASES[case]
    program, folder = _trained(tmp_path, text)
    out = _exported(tmp_path, folder)
    x = raw()
    want = recipec.load_model(folder).predict(x)
    got = _run_onnx(out, x)
    assert got.shape == np.asarray(want).shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_imputation_and_bounds_run_in_the_graph(tmp_path):
    """A CSV with empty cells and outliers: the stored fill values and bounds are applied by
    the ONNX graph to raw rows holding NaN, as predict() applies them."""
    rows = ["a,b,c,label"] + [f"{i % 7},{(i * 3) % 5},{i % 4},{i % 2}" for i in range(60)]
    rows[5] = "1,,2,1"
    rows[9] = ",4,1,0"
    rows[12] = "500,1,1,1"
    write(tmp_path, "t.csv", "\n".join(rows) + "\n")
    program, folder = _trained(tmp_path, """recipe t
data { source = csv("t.csv", label = "label")  impute = median  outliers = clip(3)
       normalize = standard }
model { input [3] dense(4) relu dense(2) }
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 2  batch = 8 }
""")
    out = _exported(tmp_path, folder)
    x = np.array([[1, np.nan, 2], [np.nan, 4, 1], [900, 1, 1], [3, 3, 3]], np.float64)
    want = recipec.load_model(folder).predict(x)
    np.testing.assert_allclose(_run_onnx(out, x), want, rtol=1e-4, atol=1e-5)


def test_npz_and_safetensors_hold_the_models_tensors(tmp_path):
    program, folder = _trained(tmp_path, CASES["mlp_standard"][0])
    state = recipec.load_model(folder).program.executable.state()
    accepted(cli("export", folder, "--format", "npz", "-o", tmp_path / "w.npz"))
    with np.load(tmp_path / "w.npz", allow_pickle=False) as held:
        assert set(held.files) == {p.name for p in program.graphs.params}
        for name in held.files:
            assert np.array_equal(held[name], state[name])
    accepted(cli("export", folder, "--format", "safetensors", "-o", tmp_path / "w.st"))
    from safetensors.numpy import load_file
    held = load_file(str(tmp_path / "w.st"))
    assert set(held) == {p.name for p in program.graphs.params}


def test_text_columns_are_refused_with_a_reason(tmp_path):
    rows = ["colour,x,label"] + [f"{['red', 'blue'][i % 2]},{i},{i % 2}" for i in range(30)]
    write(tmp_path, "c.csv", "\n".join(rows) + "\n")
    program, folder = _trained(tmp_path, """recipe c
data { source = csv("c.csv", label = "label")  normalize = standard }
model { input [3] dense(4) relu dense(2) }
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 1  batch = 8 }
""")
    out = cli("export", folder, "--format", "onnx", "-o", tmp_path / "c.onnx")
    refused(out, "M005", mentions=["colour"])
    assert not (tmp_path / "c.onnx").exists()


def test_a_missing_model_folder_is_a_diagnostic(tmp_path):
    refused(cli("export", tmp_path / "nowhere", "-o", tmp_path / "x.onnx"), "M001")
