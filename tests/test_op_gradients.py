"""Every differentiable op's VJP against float64 central finite differences (table-driven).

Each row builds a one-op graph on float64 inputs, reduces its output to a scalar with a fixed
random weighting (through `mse`, itself checked), differentiates with the autodiff pass and
compares the reference interpreter's gradients with numerical ones. Pure numpy, no compiling.
"""
from __future__ import annotations

import numpy as np
import pytest

from recipec.compiler.interpret import run_graph
from recipec.compiler.ir import Graph, TensorType, verify
from recipec.compiler.passes.autodiff import grad

F64 = "float64"


def _awayfromzero(rng, shape):
    """Samples with |x| >= 0.2 so a kink (relu at 0) is never within the FD step."""
    x = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return x


def _around_three(rng, shape):
    """Samples over [-6, 6] at least 0.2 from hard_sigmoid's kinks at -3 and 3, on both sides
    of each, so its flat parts and its slope are all checked."""
    x = rng.uniform(0.2, 2.8, shape) * rng.choice([-1.0, 1.0], shape)
    return np.where(rng.random(shape) < 0.5, x, x + 3.0 * np.sign(x))


# name, input specs [(shape, kind)], op, attrs; kind ("hyper", value) is a run-time
# hyperparameter input (a float64 scalar the op reads, never differentiated)
CASES = [
    ("add_broadcast", [((4, 5), "w"), ((5,), "w")], "add", {}),
    ("add_same", [((3, 4), "w"), ((3, 4), "w")], "add", {}),
    ("scale", [((3, 4), "w")], "scale", {"factor": -1.5}),
    ("relu", [((4, 6), "kink")], "relu", {}),
    ("leaky_relu", [((4, 6), "kink"), ((), ("hyper", 0.1))], "leaky_relu", {}),
    ("sigmoid", [((4, 6), "w")], "sigmoid", {}),
    ("tanh", [((4, 6), "w")], "tanh", {}),
    ("gelu", [((4, 6), "w")], "gelu", {}),
    ("elu", [((4, 6), "kink"), ((), ("hyper", 1.0))], "elu", {}),
    ("elu_alpha", [((4, 6), "kink"), ((), ("hyper", 0.3))], "elu", {}),
    ("selu", [((4, 6), "kink")], "selu", {}),
    ("silu", [((4, 6), "w")], "silu", {}),
    ("softplus", [((4, 6), "w"), ((), ("hyper", 1.0)), ((), ("hyper", 20.0))], "softplus", {}),
    # beta x > threshold for x > 0.5 (a third of the samples): both sides of torch's switch
    ("softplus_beta_threshold", [((4, 6), "w"), ((), ("hyper", 2.0)), ((), ("hyper", 1.0))],
     "softplus", {}),
    ("mish", [((4, 6), "w")], "mish", {}),
    ("hard_sigmoid", [((4, 6), "three")], "hard_sigmoid", {}),
    ("dropout", [((5, 7), "w"), ((), "step"), ((), "seed"), ((), ("hyper", 0.3))], "dropout",
     {"salt": 11}),
    ("matmul", [((4, 3), "w"), ((3, 5), "w")], "matmul", {}),
    ("matmul_ta", [((3, 4), "w"), ((3, 5), "w")], "matmul", {"trans_a": True}),
    ("matmul_tb", [((4, 3), "w"), ((5, 3), "w")], "matmul", {"trans_b": True}),
    ("matmul_tab", [((3, 4), "w"), ((5, 3), "w")], "matmul", {"trans_a": True, "trans_b": True}),
    ("softmax", [((4, 5), "w")], "softmax", {}),
    ("reshape", [((3, 2, 4), "w")], "reshape", {"shape": (3, 8)}),
    ("softmax_ce", [((6, 4), "w"), ((6,), "labels")], "softmax_ce", {}),
    ("mse", [((5, 3), "w"), ((5, 3), "const")], "mse", {}),
    ("mae", [((5, 3), "w"), ((5, 3), "const")], "mae", {}),
    # delta 0.8: some errors inside the quadratic part, some on the linear one
    ("huber", [((5, 3), "w"), ((5, 3), "const"), ((), ("hyper", 0.8))], "huber", {}),
    ("multi_margin", [((6, 4), "w"), ((6,), "labels"), ((), ("hyper", 1.0))],
     "multi_margin", {}),
    ("multi_margin_small", [((6, 4), "w"), ((6,), "labels"), ((), ("hyper", 0.3))],
     "multi_margin", {}),
    ("bce_logits", [((7, 1), "w"), ((7,), "binary"), ((), ("hyper", 1.0))], "bce_logits", {}),
    ("bce_logits_pos_weight", [((7, 1), "w"), ((7,), "binary"), ((), ("hyper", 2.5))],
     "bce_logits", {}),
    # smoothing 0.2, weights 0.5, 2, 1, 3 over 4 classes
    # explain's chosen-logit score: the weights one-hot rows (`packed` gives soft ones too)
    ("score", [((5, 4), "w"), ((5, 4), "y")], "score", {}),
    # distillation: packed targets (soft probabilities, one exactly 0, and a label column)
    ("distill_ce", [((6, 4), "w"), ((6, 5), "packed"), ((), ("hyper", 3.0)),
                    ((), ("hyper", 0.7))], "distill_ce", {}),
    ("distill_ce_t1", [((6, 4), "w"), ((6, 5), "packed"), ((), ("hyper", 1.0)),
                       ((), ("hyper", 1.0))], "distill_ce", {}),
    ("softmax_ce_ws", [((6, 4), "w"), ((6,), "labels"), ((), ("hyper", 0.2)),
                       ((), ("hyper", 0.5)), ((), ("hyper", 2.0)), ((), ("hyper", 1.0)),
                       ((), ("hyper", 3.0))], "softmax_ce_ws", {}),
    # l1 * sum|w| + l2 * sum w^2; "kink" keeps every weight away from |w|'s kink at 0
    ("l1l2_penalty", [((4, 5), "kink"), ((), ("hyper", 0.03)), ((), ("hyper", 0.2))],
     "l1l2_penalty", {}),
    ("batchnorm_dense", [((6, 4), "w"), ((4,), "w"), ((4,), "w"), ((), ("hyper", 1e-5))],
     "batchnorm_train", {}),
    ("batchnorm_conv", [((3, 2, 4, 5), "w"), ((2,), "w"), ((2,), "w"), ((), ("hyper", 1e-3))],
     "batchnorm_train", {}),
    # a frozen batchnorm in a training step: scale, shift and statistics are constants
    ("batchnorm_infer_conv", [((3, 2, 4, 5), "w"), ((2,), "const"), ((2,), "const"),
                              ((2,), "const"), ((2,), "positive"), ((), ("hyper", 1e-3))],
     "batchnorm_infer", {}),
    # convolutions (x [B, C, *S], w [F, C, *K]); pads are (before, after) per spatial axis
    ("conv2d", [((2, 3, 5, 4), "w"), ((4, 3, 3, 2), "w")], "conv",
     {"stride": (1, 1), "padding": ((0, 0), (0, 0))}),
    ("conv2d_stride2_pad1", [((2, 2, 6, 5), "w"), ((3, 2, 3, 3), "w")], "conv",
     {"stride": (2, 2), "padding": ((1, 1), (1, 1))}),
    ("conv2d_same_even_kernel", [((1, 2, 5, 6), "w"), ((2, 2, 2, 4), "w")], "conv",
     {"stride": (1, 1), "padding": ((0, 1), (1, 2))}),
    ("conv2d_stride_not_dividing", [((2, 1, 7, 6), "w"), ((2, 1, 3, 2), "w")], "conv",
     {"stride": (3, 2), "padding": ((0, 0), (2, 2))}),
    ("conv1d", [((2, 3, 9), "w"), ((4, 3, 3), "w")], "conv",
     {"stride": (1,), "padding": ((0, 0),)}),
    ("conv1d_stride2_pad1", [((3, 2, 10), "w"), ((2, 2, 5), "w")], "conv",
     {"stride": (2,), "padding": ((1, 1),)}),
    ("conv1d_same", [((2, 2, 7), "w"), ((3, 2, 4), "w")], "conv",
     {"stride": (1,), "padding": ((1, 2),)}),
    # pooling; "kink" inputs keep values apart so no window's maximum is within the FD step
    ("maxpool2d", [((2, 3, 6, 4), "kink")], "maxpool", {"size": (2, 2), "stride": (2, 2)}),
    ("maxpool2d_overlap", [((2, 2, 7, 6), "kink")], "maxpool",
     {"size": (3, 2), "stride": (2, 1)}),
    ("maxpool1d", [((2, 3, 9), "kink")], "maxpool", {"size": (3,), "stride": (2,)}),
    ("avgpool2d", [((2, 3, 5, 7), "w")], "avgpool", {"size": (2, 3), "stride": (2, 2)}),
    ("avgpool1d_overlap", [((2, 2, 8), "w")], "avgpool", {"size": (3,), "stride": (1,)}),
    ("global_avgpool2d", [((3, 4, 5, 3), "w")], "avgpool", {"size": (5, 3), "stride": (5, 3)}),
]


def _build(case, rng):
    name, specs, op, attrs = case
    g = Graph()
    feeds, wrt = {}, []
    for k, (shape, kind) in enumerate(specs):
        vname = f"in{k}"
        if isinstance(kind, tuple):
            g.input(vname, TensorType(shape, F64), "hyper")
            feeds[vname] = np.float64(kind[1])
        elif kind in ("w", "kink", "three"):
            v = g.input(vname, TensorType(shape, F64), "param")
            feeds[vname] = (_awayfromzero(rng, shape) if kind == "kink"
                            else _around_three(rng, shape) if kind == "three"
                            else rng.standard_normal(shape))
            wrt.append(v)
        elif kind in ("step", "seed"):
            g.input(kind, TensorType((), "int64"), "scalar")
            feeds[kind] = np.int64(3 if kind == "step" else 42)
            vname = kind
        elif kind == "packed":
            q = np.exp(rng.standard_normal((shape[0], shape[1] - 1)))
            q[0, 0] = 0.0
            q /= q.sum(axis=1, keepdims=True)
            g.input(vname, TensorType(shape, F64), "y")
            feeds[vname] = np.concatenate([q, rng.integers(0, shape[1] - 1, (shape[0], 1))],
                                          axis=1)
        elif kind in ("labels", "binary"):
            g.input(vname, TensorType(shape, "int64"), "y")
            feeds[vname] = rng.integers(0, 4 if kind == "labels" else 2, shape)
        else:
            g.input(vname, TensorType(shape, F64), "y")
            feeds[vname] = (rng.uniform(0.5, 2.0, shape) if kind == "positive"
                            else rng.standard_normal(shape))
    out = g.add_multi(op, *g.inputs, **attrs)[0]     # multi-output ops: check the first
    if out.shape == ():
        loss = out
    else:
        target = g.input("target", out.type, "y")
        feeds["target"] = rng.standard_normal(tuple(out.shape))
        loss = g.add("mse", out, target)
    g.outputs["loss"] = loss
    grads = grad(g, loss, wrt)
    for v in wrt:
        g.outputs[f"grad:{v.name}"] = grads[v.id]
    verify(g)
    return g, feeds, wrt


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_vjp_matches_finite_differences(case):
    rng = np.random.default_rng(0)
    g, feeds, wrt = _build(case, rng)
    out = run_graph(g, feeds)
    eps = 1e-6
    for v in wrt:
        analytic = out[f"grad:{v.name}"]
        x = feeds[v.name]
        numeric = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            orig = x[i]
            x[i] = orig + eps
            up = float(run_graph(g, feeds)["loss"])
            x[i] = orig - eps
            down = float(run_graph(g, feeds)["loss"])
            x[i] = orig
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{case[0]}: d loss / d {v.name}")


def test_reused_value_sums_its_cotangents():
    """A residual connection (x used twice) must add both paths' gradients."""
    rng = np.random.default_rng(1)
    g = Graph()
    x = g.input("x", TensorType((3, 4), F64), "param")
    t = g.input("t", TensorType((3, 4), F64), "y")
    h = g.add("add", x, g.add("tanh", x))
    loss = g.add("mse", h, t)
    gx = grad(g, loss, [x])[x.id]
    g.outputs.update(loss=loss, gx=gx)
    feeds = {"x": rng.standard_normal((3, 4)), "t": rng.standard_normal((3, 4))}
    out = run_graph(g, feeds)
    xv, tv = feeds["x"], feeds["t"]
    expected = 2 * (xv + np.tanh(xv) - tv) / xv.size * (1 + 1 - np.tanh(xv) ** 2)
    np.testing.assert_allclose(out["gx"], expected, rtol=1e-10)


def test_every_differentiable_op_has_a_row():
    """Adding an op with a VJP means adding a row above."""
    from recipec.compiler.ops import OPS

    covered = {c[2] for c in CASES}
    with_vjp = {name for name, op in OPS.items() if op.vjp is not None}
    assert with_vjp <= covered, f"ops without a gradient check: {sorted(with_vjp - covered)}"
