"""`recipec explain` on image models: the compiled input gradients against the reference
interpreter and a linear model's exact answer, integrated gradients' completeness, and the
command's table and PNG (digits, and MNIST where ../shared has it)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import recipec
from recipec.compiler.interpret import run_graph
from recipec.compiler.saliency import build_saliency_graph
from recipec.runtime.explain.saliency import InputGradients, explain

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"

CONV = """recipe conv
data { source = digits  normalize = standard  reshape = [1, 8, 8]  validation = 0.2 }
model { input [1, 8, 8] conv2d(6, 3, padding = same) relu maxpool2d(2) flatten dense(16)
        tanh dropout(0.2) batchnorm dense(10) }
loss = cross_entropy
optimizer = adam(lr = 0.01)
train { epochs = 2  batch = 32 }
metrics = [accuracy]
"""
LINEAR = """recipe linear
data { source = digits  normalize = minmax  reshape = [1, 8, 8] }
model { input [1, 8, 8] flatten dense(10) }
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 1  batch = 32 }
"""


def _trained(tmp_path: Path, text: str, name: str):
    """(model folder, loaded model) of a recipe trained by `recipec run`."""
    path = tmp_path / f"{name}.recipe"
    path.write_text(text)
    out = subprocess.run([sys.executable, "-m", "recipec", "run", str(path), "--runs",
                          str(tmp_path / "runs")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    folder = next((tmp_path / "runs").rglob("model.json")).parent
    return folder, recipec.load_model(folder)


@pytest.fixture(scope="module")
def conv_model(tmp_path_factory):
    return _trained(tmp_path_factory.mktemp("conv"), CONV, "conv")


def test_compiled_input_gradients_are_the_interpreters(conv_model):
    _, model = conv_model
    grads = InputGradients(model)
    rows = model.rows("validation").x[:9].reshape(9, -1)
    classes = np.arange(9) % 10
    got = grads(rows, classes)
    g = build_saliency_graph(model.recipe)
    packed = np.zeros((9, 74), np.float32)
    packed[:, :64] = rows
    packed[np.arange(9), 64 + classes] = 1.0
    state = model.program.executable.state()
    hypers = {h.name: h.value for h in model.program.graphs.hypers}
    feeds = {"x": packed}
    for v in g.inputs:
        if v.name in state:
            feeds[v.name] = state[v.name]
        elif v.role == "hyper":
            feeds[v.name] = np.float64(hypers[v.name])
        elif v.role == "const":
            feeds[v.name] = np.float32(1.0)
    want = run_graph(g, feeds)["output"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert np.abs(want).max() > 1e-3                  # not trivially zero


def test_a_linear_models_saliency_is_its_weight_row_and_integrated_gradients_complete(
        tmp_path):
    _, model = _trained(tmp_path, LINEAR, "linear")
    x = model.rows("train").x[:5]
    e = explain(model, x, steps=8)
    weight = model.program.executable.state()["dense_1.weight"]        # [64, 10]
    np.testing.assert_allclose(e.saliency.reshape(5, 64), weight[:, e.classes].T, rtol=1e-5,
                               atol=1e-7)
    assert e.completeness_gap.max() < 1e-4           # exact for a linear model
    # the predicted classes are the model's own
    assert (e.classes == model.predict(x, normalized=True).argmax(1)).all()


def test_integrated_gradients_add_up_to_the_logit_rise(conv_model):
    _, model = conv_model
    e = explain(model, model.rows("validation").x[:6], steps=64)
    assert e.completeness_gap.max() < 0.05
    assert e.saliency.shape == e.integrated.shape == (6, 1, 8, 8)


def test_explain_writes_a_saliency_png_and_a_table(conv_model, tmp_path):
    folder, _ = conv_model
    out = subprocess.run([sys.executable, "-m", "recipec", "explain", str(folder),
                          "--samples", "3", "-o", str(tmp_path / "s.png")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "saliency and integrated gradients" in out.stdout
    assert len([ln for ln in out.stdout.splitlines() if ln.strip()[:1].isdigit()]) == 3
    from PIL import Image
    with Image.open(tmp_path / "s.png") as image:
        assert image.format == "PNG" and image.size[0] > 300
    np.save(tmp_path / "bad.npy", np.zeros((2, 8, 8)))
    out = subprocess.run([sys.executable, "-m", "recipec", "explain", str(folder), "--input",
                          str(tmp_path / "bad.npy")], capture_output=True, text=True)
    assert out.returncode == 2 and "shaped [N, 1, 8, 8]" in out.stderr
    assert "Traceback" not in out.stderr


def test_an_mnist_models_saliency_png(tmp_path):
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not here")
    text = f"""recipe mnist_small
data {{ source = mnist("{SHARED}")  scale = 0.00392156862745098 }}
model {{ input [1, 28, 28] conv2d(4, 5) relu maxpool2d(2) flatten dense(10) }}
loss = cross_entropy
optimizer = adam(lr = 0.01)
train {{ steps = 60  batch = 64 }}
metrics = [accuracy]
"""
    folder, model = _trained(tmp_path, text, "mnist_small")
    raw = model.rows("test").x[:4].reshape(4, 1, 28, 28) * 255.0
    np.save(tmp_path / "four.npy", raw.astype(np.float32))
    out = subprocess.run([sys.executable, "-m", "recipec", "explain", str(folder), "--input",
                          str(tmp_path / "four.npy"), "-o", str(tmp_path / "mnist.png")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "mnist.png").stat().st_size > 10_000
    e = explain(model, model.rows("test").x[:4])
    # the gradient of a convnet that has learnt something is not flat: the most salient
    # tenth of the pixels holds well over a tenth of the saliency
    mag = np.abs(e.saliency).reshape(4, -1)
    top = np.sort(mag, axis=1)[:, -78:].sum(axis=1) / mag.sum(axis=1)
    assert (top > 0.2).all(), top
