"""The activations gelu, elu, selu, silu/swish, softplus, mish, hard_sigmoid: each op's
reference and gradient op against a numpy closed form (always) and PyTorch (where torch is
installed), the CPU formulas against the references over a wide range, and one compiled model
using all of them against the reference interpreter.

The finite-difference check of every gradient op is in test_op_gradients.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from recipec.compiler.ops import get_op
from recipec.compiler.ops.activations import SELU_ALPHA, SELU_SCALE

# op -> (hyper-parameter values, recipe layer as written below, closed form in float64)
ALPHA, BETA, THRESHOLD = 0.75, 2.0, 3.0     # exact in float32, as the kernels round them
_erf = np.vectorize(math.erf)


def _softplus(x, beta, threshold):
    return np.where(beta * x > threshold, x, np.logaddexp(0.0, beta * x) / beta)


CLOSED = {
    "gelu": ((), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    "elu": ((ALPHA,), lambda x: np.where(x > 0, x, ALPHA * (np.exp(np.minimum(x, 0)) - 1))),
    "selu": ((), lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(np.minimum(x, 0))
                                                                        - 1))),
    "silu": ((), lambda x: x * 0.5 * (1 + np.tanh(x / 2))),      # sigmoid = (1 + tanh(x/2)) / 2
    "softplus": ((BETA, THRESHOLD), lambda x: _softplus(x, BETA, THRESHOLD)),
    "mish": ((), lambda x: x * np.tanh(np.logaddexp(0.0, x))),
    "hard_sigmoid": ((), lambda x: np.clip(x / 6 + 0.5, 0.0, 1.0)),
}
# the gradient op's first input: the activation's output y, or its input x
GRAD_READS = {"gelu": "x", "elu": "y", "selu": "y", "silu": "x", "softplus": "x", "mish": "x",
              "hard_sigmoid": "y"}


def _grid(dtype=np.float64):
    """Both sides of every kink and switch (0, +-3, beta x = threshold), tails to +-30, and no
    point at a kink itself (a derivative is one-sided there)."""
    x = np.concatenate([np.linspace(-30, 30, 241) + 0.0625, np.linspace(-4, 4, 161) + 0.013])
    return x.astype(dtype)


def _forward(name, x):
    hypers, _ = CLOSED[name]
    return get_op(name).reference(x, *map(np.float64, hypers))


def _grad(name, x, d):
    hypers, _ = CLOSED[name]
    first = x if GRAD_READS[name] == "x" else _forward(name, x)
    return get_op(name + "_grad").reference(first, d, *map(np.float64, hypers))


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_reference_matches_its_closed_form(name):
    x = _grid()
    _, closed = CLOSED[name]
    np.testing.assert_allclose(_forward(name, x), closed(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_gradient_op_is_the_derivative_of_the_closed_form(name):
    """The gradient op times a cotangent of ones is the closed form's central difference (in
    float64, away from the kinks; the step is far below the grid's distance to any kink)."""
    x, h = _grid(), 1e-6
    _, closed = CLOSED[name]
    numeric = (closed(x + h) - closed(x - h)) / (2 * h)
    np.testing.assert_allclose(_grad(name, x, np.ones_like(x)), numeric, rtol=1e-6, atol=1e-8)


def test_known_values():
    """A few values from the papers' definitions, independent of any formula above."""
    one = np.array([1.0, -1.0])
    np.testing.assert_allclose(_forward("gelu", one), [0.8413447460685429, -0.15865525393145707])
    np.testing.assert_allclose(_forward("selu", one), [1.0507009873554805, -1.1113307378125625])
    np.testing.assert_allclose(_forward("hard_sigmoid", np.array([-3.0, 0.0, 3.0, 9.0])),
                               [0.0, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(get_op("softplus").reference(np.array([0.0, 25.0]),
                                                            np.float64(1), np.float64(20)),
                               [math.log(2.0), 25.0])          # linear above the threshold


TORCH = {
    "gelu": lambda F, x: F.gelu(x),
    "elu": lambda F, x: F.elu(x, alpha=ALPHA),
    "selu": lambda F, x: F.selu(x),
    "silu": lambda F, x: F.silu(x),
    "softplus": lambda F, x: F.softplus(x, beta=BETA, threshold=THRESHOLD),
    "mish": lambda F, x: F.mish(x),
    "hard_sigmoid": lambda F, x: F.hardsigmoid(x),
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_forward_and_gradient_match_pytorch(name):
    """float32, as training runs: the value and the input gradient (of a random cotangent)
    of torch.nn.functional's function on the same inputs."""
    torch = pytest.importorskip("torch", reason="the PyTorch comparison needs torch installed")
    F = torch.nn.functional
    x = _grid(np.float32)
    d = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = TORCH[name](F, xt)
    yt.backward(torch.tensor(d))
    y = _forward(name, x)
    assert y.dtype == np.float32
    # atol 1e-6: in the tails, where values and slopes come near 0, float32 rounding differs
    # by up to ~7e-7: torch's vectorised erf (gelu(-3.7) = -3.9873e-4, ours -3.9884e-4, the
    # exact -3.9886e-4), and selu's slope taken from y (y + scale alpha cancels) not from x
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(_grad(name, x, d), xt.grad.numpy(), rtol=2e-5, atol=1e-6)


# -- the checker: options range-checked at their text; swish is silu under a second name ---
def _checked(layers: str, overrides=()):
    from recipec.compiler.check import check_source

    text = ('data { source = iris }\nmodel {\n  input [4]\n  ' + layers + '\n  dense(3)\n}\n'
            'loss = cross_entropy\noptimizer = sgd(0.1)\ntrain { epochs = 1 }\n')
    return text, lambda: check_source(text, "t.recipe", overrides)


@pytest.mark.parametrize("layer, needle, message", [
    ("elu(0)", "0", "elu alpha must be > 0, got 0"),
    ("elu(alpha = -1)", "-1", "elu alpha must be > 0, got -1"),
    ("softplus(0)", "0", "softplus beta must be > 0, got 0"),
    ("softplus(beta = 2, threshold = abc)", "abc", "softplus threshold: expected a number"),
    ("selu(1)", "1", "too many positional arguments"),
])
def test_bad_activation_options_are_refused_at_their_text(layer, needle, message):
    from recipec.compiler.diagnostics import RecipeError

    text, check = _checked(layer)
    with pytest.raises(RecipeError) as e:
        check()
    line = text.splitlines().index("  " + layer) + 1
    col = 3 + layer.index(needle, layer.index("("))
    assert any((d.span.line, d.span.col) == (line, col) and message in d.message
               for d in e.value.diagnostics), e.value.diagnostics


def test_options_defaults_and_the_swish_synonym():
    from recipec.compiler.step import build_step_graphs
    import recipec

    _, check = _checked("elu softplus swish silu", ["model.elu_1.alpha=0.5"])
    elu, softplus, swish, silu = check().model.layers[:4]
    assert elu.options == {"alpha": 0.5}                     # --set reaches the option
    assert softplus.options == {"beta": 1.0, "threshold": 20.0}
    assert (swish.name, silu.name) == ("swish_1", "silu_1")
    text, _ = _checked("dense(4) swish")     # a parameter before it: its gradient is needed
    graphs = build_step_graphs(recipec.loads(text.replace("iris", 'npz("u.npz")'), "s.recipe"))
    ops = {n.op for n in graphs.train.nodes}
    assert {"silu", "silu_grad"} <= ops and "swish" not in ops


# -- the CPU target: each formula rendered as Numba source, compiled alone, over the grid ---
def _numba_kernel(op: str, n_inputs: int):
    """A loop over the formula of `op` as the CPU emitter renders it; hyper inputs are
    float64 scalars, as in the generated step."""
    import numba

    from recipec.compiler.lower.cpu.emitters.elementwise import render
    from recipec.compiler.ops.formula import flat, input_

    hypers = len(CLOSED[op.removesuffix("_grad")][0])
    arrays = n_inputs - hypers
    names = [f"a{k}[i]" for k in range(arrays)] + [f"h{k}" for k in range(hypers)]
    expr = render(get_op(op).formula([input_(n) for n in names], {}, flat("i")))
    params = [f"a{k}" for k in range(arrays)] + [f"h{k}" for k in range(hypers)]
    source = (f"def kernel(out, {', '.join(params)}):\n"
              f"    for i in range(out.shape[0]):\n"
              f"        out[i] = {expr}\n")
    scope = {"np": np, "math": math}
    exec(compile(source, f"<{op} formula>", "exec"), scope)
    return numba.njit(scope["kernel"])


@pytest.mark.cpu
@pytest.mark.parametrize("name", sorted(CLOSED))
def test_cpu_formulas_match_the_references(name):
    """Forward and gradient formulas in float32 against the float32 references, tails included
    (exp overflowing to inf in softplus, mish and silu must give torch's finite values)."""
    hypers = tuple(np.float64(h) for h in CLOSED[name][0])
    x = _grid(np.float32)
    d = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    y = np.empty_like(x)
    _numba_kernel(name, 1 + len(hypers))(y, x, *hypers)
    np.testing.assert_allclose(y, _forward(name, x), rtol=2e-6, atol=2e-7)
    assert np.isfinite(y).all()
    dx = np.empty_like(x)
    first = x if GRAD_READS[name] == "x" else y
    _numba_kernel(name + "_grad", 2 + len(hypers))(dx, first, d, *hypers)
    np.testing.assert_allclose(dx, _grad(name, x, d), rtol=2e-5, atol=2e-7)


# -- one compiled model with every new activation (and initialiser), step by step against the
# interpreter ---------------------------------------------------------------------------------
RECIPE = """
data { source = npz("unused.npz") }
train { epochs = 1 batch = 8 seed = 3 }
model {
  input [6]
  dense(8, init = orthogonal) gelu
  dense(8, bias_init = constant(0.1)) elu(0.5)
  dense(8, init = lecun_normal) selu
  dense(8, init = truncated_normal(0.3)) silu
  dense(8) swish
  dense(8) softplus(2, 1)
  dense(8) mish
  dense(8, init = xavier) hard_sigmoid
  dense(3)
}
loss = cross_entropy
optimizer = sgd(lr = 0.1, momentum = 0.9)
"""


@pytest.mark.cpu
def test_compiled_model_with_every_activation_matches_reference():
    import recipec
    from oracle import (assert_predict_matches_reference, assert_steps_match_reference,
                        random_batches)

    program = recipec.compile(recipec.loads(RECIPE, "activations.recipe"))
    names = {h.name for h in program.graphs.hypers}
    assert {"model.elu_1.alpha", "model.softplus_1.beta",
            "model.softplus_1.threshold"} <= names              # run-time inputs, not literals
    x, y = random_batches(program, 8 * 5, np.random.default_rng(0))
    assert_steps_match_reference(program, x, y, batch=8, steps=5)
    assert_predict_matches_reference(program, x[:11])
