"""Convolution and pooling: references against naive loops, layer shapes and options in the
checker, and compiled Numba kernels against the numpy reference on whole recipes.

The gradient (VJP) checks of the ops are rows of tests/test_op_gradients.py.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import recipec
from oracle import (HEADER, assert_predict_matches_reference, assert_steps_match_reference,
                    each_recipe, force_parallel, random_batches)
from recipec.compiler.check import check_source
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.interpret import run_graph
from recipec.compiler.ir import Graph, TensorType
from recipec.compiler.ops import get_op


# -- (a) references against direct loops (an independent implementation) --------------------
def naive_conv2d(x, w, stride, pads):
    """y[b, f, i, j] = sum_{c, u, v} xpad[b, c, i*sh + u, j*sw + v] * w[f, c, u, v]."""
    (sh, sw), ((pt, pb), (pl, pr)) = stride, pads
    b, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = (h + pt + pb - kh) // sh + 1, (wd + pl + pr - kw) // sw + 1
    y = np.zeros((b, f, ho, wo))
    for n, o, i, j in itertools.product(range(b), range(f), range(ho), range(wo)):
        s = 0.0
        for ch, u, v in itertools.product(range(c), range(kh), range(kw)):
            r, q = i * sh + u - pt, j * sw + v - pl
            if 0 <= r < h and 0 <= q < wd:
                s += x[n, ch, r, q] * w[o, ch, u, v]
        y[n, o, i, j] = s
    return y


def naive_pool2d(x, size, stride, reduce):
    b, c, h, wd = x.shape
    (kh, kw), (sh, sw) = size, stride
    ho, wo = (h - kh) // sh + 1, (wd - kw) // sw + 1
    y = np.zeros((b, c, ho, wo))
    for n, ch, i, j in itertools.product(range(b), range(c), range(ho), range(wo)):
        y[n, ch, i, j] = reduce(x[n, ch, i * sh:i * sh + kh, j * sw:j * sw + kw])
    return y


CONV2D = [  # x shape, w shape, stride, pads
    ((2, 3, 7, 7), (4, 3, 3, 3), (1, 1), ((0, 0), (0, 0))),
    ((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1))),
    ((1, 2, 9, 8), (3, 2, 3, 3), (2, 2), ((1, 1), (1, 1))),
    ((2, 1, 8, 11), (2, 1, 5, 3), (3, 2), ((0, 0), (2, 2))),
    ((1, 2, 6, 6), (2, 2, 2, 2), (1, 1), ((0, 1), (0, 1))),   # `same` with an even kernel
    ((1, 1, 4, 5), (2, 1, 4, 5), (1, 1), ((0, 0), (0, 0))),   # kernel = input: 1x1 output
]


@pytest.mark.parametrize("xs, ws, stride, pads", CONV2D)
def test_conv2d_reference_matches_direct_loops(xs, ws, stride, pads):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    got = get_op("conv").reference(x, w, stride=stride, padding=pads)
    np.testing.assert_allclose(got, naive_conv2d(x, w, stride, pads), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("length, k, stride, pad", [(9, 3, 1, 0), (10, 5, 2, 1), (7, 4, 1, 2),
                                                    (12, 3, 3, 0)])
def test_conv1d_reference_matches_direct_loops(length, k, stride, pad):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, length)), rng.standard_normal((4, 3, k))
    got = get_op("conv").reference(x, w, stride=(stride,), padding=((pad, pad),))
    want = naive_conv2d(x[:, :, None, :], w[:, :, None, :], (1, stride), ((0, 0), (pad, pad)))
    np.testing.assert_allclose(got, want[:, :, 0, :], rtol=1e-12, atol=1e-12)


def test_conv_grad_references_are_the_adjoints_of_conv():
    """<conv(x, w), dy> = <x, grad_input(dy, w)> = <w, grad_weight(x, dy)> (bilinearity)."""
    rng = np.random.default_rng(2)
    for xs, ws, stride, pads in CONV2D:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        y = get_op("conv").reference(x, w, stride=stride, padding=pads)
        dy = rng.standard_normal(y.shape)
        dx = get_op("conv_grad_input").reference(dy, w, stride=stride, padding=pads,
                                                 in_size=xs[2:])
        dw = get_op("conv_grad_weight").reference(x, dy, stride=stride, padding=pads,
                                                  kernel=ws[2:])
        inner = float((y * dy).sum())
        assert np.isclose(inner, float((x * dx).sum()), rtol=1e-10)
        assert np.isclose(inner, float((w * dw).sum()), rtol=1e-10)


@pytest.mark.parametrize("size, stride", [((2, 2), (2, 2)), ((3, 2), (2, 1)), ((3, 3), (3, 3))])
def test_pool_references_match_direct_loops(size, stride):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 8, 7))
    np.testing.assert_allclose(get_op("maxpool").reference(x, size=size, stride=stride),
                               naive_pool2d(x, size, stride, np.max))
    np.testing.assert_allclose(get_op("avgpool").reference(x, size=size, stride=stride),
                               naive_pool2d(x, size, stride, np.mean), rtol=1e-12)
    x1 = x[:, :, 0, :]
    np.testing.assert_allclose(
        get_op("maxpool").reference(x1, size=size[1:], stride=stride[1:]),
        naive_pool2d(x1[:, :, None, :], (1, size[1]), (1, stride[1]), np.max)[:, :, 0, :])


def test_maxpool_gradient_goes_to_the_first_maximum_on_ties():
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = 5.0          # tie in the first window: (0, 1) comes first
    dy = np.array([[[[1.0, 2.0]]]])
    dx = get_op("maxpool_grad").reference(x, dy, size=(2, 2), stride=(2, 2))
    want = np.zeros_like(x)
    want[0, 0, 0, 1] = 1.0
    want[0, 0, 0, 2] = 2.0                       # all zeros in window 2: the first position
    np.testing.assert_array_equal(dx, want)


def test_bias_add_broadcasts_and_its_gradient_reduces_batch_and_space():
    g = Graph()
    y = g.input("y", TensorType(("B", 3, 4, 5)), "x")
    b = g.input("b", TensorType((3, 1, 1)), "param")
    t = g.input("t", TensorType(("B", 3, 4, 5)), "y")
    from recipec.compiler.passes.autodiff import grad

    loss = g.add("mse", g.add("add", y, b), t)
    g.outputs.update(loss=loss, gb=grad(g, loss, [b])[b.id])
    rng = np.random.default_rng(4)
    feeds = {"y": rng.standard_normal((2, 3, 4, 5)).astype(np.float32),
             "b": rng.standard_normal((3, 1, 1)).astype(np.float32),
             "t": rng.standard_normal((2, 3, 4, 5)).astype(np.float32)}
    out = run_graph(g, feeds)
    want = (2 * (feeds["y"] + feeds["b"] - feeds["t"]) / feeds["y"].size).sum(axis=(0, 2, 3))
    assert out["gb"].shape == (3, 1, 1)
    np.testing.assert_allclose(out["gb"][:, 0, 0], want, rtol=1e-5)


# -- layers in the checker --------------------------------------------------------------------
def _recipe(model: str) -> str:
    # the checker wants a flat output for the loss: end every model with `flatten dense(3)`
    return ("data { source = iris }\nmodel {\n" + model + " flatten dense(3)\n}\nloss = mse\n"
            "optimizer = adam(lr = 1e-3)\ntrain { epochs = 1 }\n")


def _layers(model):
    return check_source(_recipe(model), "t.recipe").model.layers


def _errors(model):
    with pytest.raises(RecipeError) as e:
        check_source(_recipe(model), "t.recipe")
    return [(d.code, d.message) for d in e.value.diagnostics]


def test_conv_layer_shapes_params_and_flops():
    layers = _layers("input [1, 28, 28] conv2d(32, 3) relu maxpool2d(2) conv2d(64, 3) relu "
                     "maxpool2d(2) flatten dense(10)")[:8]
    shapes = [tuple(s.out_shape) for s in layers]
    assert shapes == [(32, 26, 26), (32, 26, 26), (32, 13, 13), (64, 11, 11), (64, 11, 11),
                      (64, 5, 5), (1600,), (10,)]
    assert [s.params for s in layers] == [320, 0, 0, 18496, 0, 0, 0, 16010]   # as in Keras
    assert layers[0].flops == 2 * 1 * 9 * 32 * 26 * 26 + 32 * 26 * 26
    assert layers[2].flops == 32 * 13 * 13 * 4


@pytest.mark.parametrize("model, out", [
    ("input [3, 9, 7] conv2d(4, 3, padding = same)", (4, 9, 7)),
    ("input [3, 9, 7] conv2d(4, 4, padding = same)", (4, 9, 7)),
    ("input [3, 9, 7] conv2d(4, 3, padding = valid)", (4, 7, 5)),
    ("input [3, 9, 7] conv2d(4, 3, stride = 2, padding = 1)", (4, 5, 4)),
    ("input [3, 9, 7] conv2d(4, 3, bias = false, init = xavier)", (4, 7, 5)),
    ("input [2, 40] conv1d(5, 5, stride = 2, padding = 1)", (5, 19)),
    ("input [2, 40] conv1d(5, 4, padding = same)", (5, 40)),
    ("input [2, 9] maxpool1d(3, stride = 2)", (2, 4)),
    ("input [2, 9, 8] avgpool2d(2)", (2, 4, 4)),
    ("input [2, 9, 8] global_avgpool", (2,)),
    ("input [2, 9] global_avgpool", (2,)),
])
def test_layer_output_shapes(model, out):
    assert tuple(_layers(model)[-3].out_shape) == out


@pytest.mark.parametrize("model, code, words", [
    ("input [784] conv2d(8, 3)", "E302", ["channels, height, width", "[784]"]),
    ("input [1, 5, 5] conv2d(8, 7)", "E302", ["kernel 7", "size of 5"]),
    ("input [1, 9, 9] conv2d(8, 3, stride = 2, padding = same)", "E302",
     ["padding = same needs stride = 1", "stride = 2"]),
    ("input [1, 9, 9] conv2d(8, 3, padding = sme)", "E104", ["padding `sme`"]),
    ("input [1, 9, 9] conv2d(8, 3, padding = -1)", "E202", ["padding must be >= 0"]),
    ("input [1, 9, 9] conv2d(8, 3, padding = 1.5)", "E201", ["expected an integer"]),
    ("input [1, 9, 9] conv2d(8, 3, padding = \"same\")", "E201", ["integer or one of same"]),
    ("input [1, 9, 9] conv2d(0, 3)", "E202", ["filters must be >= 1"]),
    ("input [3, 4] maxpool1d(5)", "E302", ["window 5", "size of 4"]),
    ("input [3, 4, 4] maxpool1d(2)", "E302", ["[channels, length]"]),
    ("input [12] global_avgpool", "E302", ["channels-first"]),
])
def test_layer_errors(model, code, words):
    errors = _errors(model)
    assert any(c == code and all(w in m for w in words) for c, m in errors), errors


def test_conv_takes_the_per_parameter_multipliers():
    (conv,) = _layers("input [2, 9] conv1d(3, 3, lr_mult = 0.5, bias_decay_mult = 0)")[:1]
    assert conv.options["lr_mult"] == 0.5 and conv.options["bias_decay_mult"] == 0.0


def test_same_padding_hint_names_the_suggestion():
    (_, msg), = _errors("input [1, 9, 9] conv2d(8, 5, stride = 2, padding = same)")
    assert "padding = 2" in msg


# -- (b) compiled kernels against the reference interpreter -----------------------------------

RECIPES = {
    "convnet2d_momentum": HEADER + """
        model {
          input [1, 8, 8]
          conv2d(4, 3, padding = same) relu maxpool2d(2)
          conv2d(6, 3, stride = 2) avgpool2d(1)
          flatten dense(3)
        }
        loss = cross_entropy
        optimizer = sgd(lr = 0.05, momentum = 0.9)
    """,
    "convnet1d_adam": HEADER + """
        model {
          input [1, 40]
          conv1d(5, 5, stride = 2, padding = 1) relu maxpool1d(3, stride = 2)
          conv1d(5, 4, padding = same, init = xavier) relu
          conv1d(5, 3, stride = 2, padding = 1, bias = false) relu avgpool1d(2, stride = 1)
          flatten dense(10)
        }
        loss = cross_entropy
        optimizer = adam(lr = 0.01)
    """,
    "convnet_regressor_global": HEADER + """
        model {
          input [2, 7, 6]
          conv2d(3, 2, padding = same) tanh
          maxpool2d(3, stride = 2)
          conv2d(4, 3, padding = 1) relu
          global_avgpool dense(2)
        }
        loss = mse
        optimizer = sgd(lr = 0.1)
    """,
}


RECIPES["pool2x2_odd_sizes"] = HEADER + """
        model {
          input [2, 9, 9]
          conv2d(3, 3, padding = same) relu maxpool2d(2)
          conv2d(4, 2) maxpool2d(2)
          flatten dense(3)
        }
        loss = cross_entropy
        optimizer = sgd(lr = 0.05, momentum = 0.9)
    """


def _program(name):
    return recipec.compile(recipec.loads(RECIPES[name], f"{name}.recipe"))


# conv and pooling loops are always prange; "all-parallel" also makes the small loops (bias
# reductions over [B, C, H, W], losses) prange, which the default keeps serial at these sizes
@each_recipe(RECIPES, ["convnet2d_momentum"])
def test_compiled_conv_steps_match_reference(name, all_parallel, monkeypatch):
    if all_parallel:
        force_parallel(monkeypatch)
    program = _program(name)
    batch, steps = 8, 4
    n = batch * steps
    x, y = random_batches(program, n, np.random.default_rng(0))
    assert_steps_match_reference(program, x, y, batch, steps)
    # prediction kernel (including a last partial batch) vs the interpreter
    assert_predict_matches_reference(program, x[:11], batch=4)
    order = np.arange(n, dtype=np.int64)

    # determinism: the same steps from the same state (Executable.state / load_state) give
    # bitwise the same result
    saved = {name: np.copy(value) for name, value in program.executable.state().items()}
    again = []
    for _ in range(2):
        program.executable.load_state(saved)
        program.train_steps(x.reshape(n, -1), y, order, 0, steps, batch, steps_per_epoch=steps)
        again.append([p.copy() for p in program.state.params])
    for a, b in zip(*again):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("relu_mask", [False, True])
@pytest.mark.parametrize("size", [(6, 6), (7, 9)])
def test_maxpool_gradient_kernel_on_ties_and_odd_sizes(size, relu_mask):
    """The library's 2x2 max-pool gradient (selects, each dx written once) against the
    reference: ties go to the first maximum, uncovered rows/columns get zero, and with the
    ReLU mask a window whose maximum is 0 passes nothing."""
    from recipec.compiler.lower import load_source
    from recipec.compiler.lower.cpu import module as cpu
    from recipec.compiler.lower.cpu.emitters.conv import GEOMETRY

    library = load_source(cpu.emit_library(True), "cpu", kind="lib").module
    library.require("maxpool_backward")
    rng = np.random.default_rng(1)
    x = rng.integers(-1, 3, (3, 2) + size).astype(np.float32)       # many ties, zeros
    if relu_mask:
        x = np.maximum(x, 0)
    ho, wo = size[0] // 2, size[1] // 2
    dy = rng.standard_normal((3, 2, ho, wo)).astype(np.float32)
    sizes = dict(B=3, C=2, H=size[0], W=size[1], F=2, HO=ho, WO=wo, KH=2, KW=2, SH=2, SW=2)
    geom = np.array([sizes.get(k, 0) for k in GEOMETRY], np.int64)
    dx = np.full_like(x, np.nan)
    library.maxpool_backward(x, dy, dx, geom, relu_mask)
    op = "maxpool_relu_grad" if relu_mask else "maxpool_grad"
    want = get_op(op).reference(x, dy, size=(2, 2), stride=(2, 2))
    np.testing.assert_array_equal(dx, want)
