"""Each optimizer's row, as the compiler builds it (checked options -> update op -> numpy
reference), against PyTorch's optimizer and against a transcription of its formula.

The row's update is built on a one-parameter graph and run by the reference interpreter, so
the options' defaults, the run-time inputs and the lr_mult / decay_mult wiring are all under
test, not only the op. PyTorch is optional (CI has none): without it the transcriptions
below still check every formula. Nothing here compiles a kernel (test_optim.py's ROWS test
compares the compiled steps with this reference).
"""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.compiler.build import BuildContext, ParamInfo
from recipec.compiler.check import check_source
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.interpret import run_graph
from recipec.compiler.ir import Graph
from recipec.compiler.optimizers import OPTIMIZERS, Update
from recipec.compiler.step import build_step_graphs
from recipec.compiler.types import TensorType
from recipec.runtime.state import TrainState

SHAPE = (3, 4)


def _options(call: str) -> dict:
    text = ('data { source = npz("unused.npz") }\nmodel { input [4] dense(3) }\n'
            f"loss = cross_entropy\noptimizer = {call}\ntrain {{ epochs = 1 }}\n")
    return recipec.loads(text, "o.recipe").optimizer.options


class Stepper:
    """One parameter updated by the registered optimizer `name` through the interpreter."""

    def __init__(self, name: str, call: str, p0: np.ndarray, lr_mult=1.0, decay_mult=1.0):
        self.options = _options(call)
        definition = OPTIMIZERS[name]
        g = Graph()
        ctx = BuildContext(g, training=True)
        info = ParamInfo("w", p0.shape, "zeros", 1, 1, lr_mult, decay_mult, "layer", "")
        param = g.input("w", TensorType(p0.shape), "param")
        grad = g.input("grad", TensorType(p0.shape), "x")
        self.specs = definition.slot_specs(self.options)
        slots = tuple(g.input(s.name, TensorType((1,) if s.scalar else p0.shape), "slot")
                      for s in self.specs)
        definition.update(Update(ctx, definition, self.options, param, grad, slots, info))
        self.graph, self.hypers = g, ctx.hypers
        self.p = p0.astype(np.float32).copy()
        self.slots = {s.name: np.full((1,) if s.scalar else p0.shape, s.initial, np.float32)
                      for s in self.specs}
        self.step = 0

    def __call__(self, grad: np.ndarray) -> None:
        feeds = {"w": self.p, "grad": grad.astype(np.float32), "step": np.int64(self.step),
                 "lr": np.float32(self.options["lr"]), **self.slots}
        run_graph(self.graph, feeds, self.hypers)
        self.step += 1


# name, our call (every option away from its default), torch's class and arguments (lr and
# weight_decay without the multipliers), our slot -> torch's state key
CASES = {
    "sgd": ("sgd", "sgd(lr = 0.1, momentum = 0.8, nesterov = true, weight_decay = 1e-2)",
            "SGD", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=1e-2),
            {"velocity": "momentum_buffer"}),
    "adam": ("adam", "adam(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, "
             "weight_decay = 1e-2)", "Adam",
             dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2),
             {"m": "exp_avg", "v": "exp_avg_sq"}),
    "adamw": ("adamw", "adamw(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, "
              "weight_decay = 0.5)", "AdamW",
              dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.5),
              {"m": "exp_avg", "v": "exp_avg_sq"}),
    "rmsprop-centered-momentum": (
        "rmsprop", "rmsprop(lr = 0.005, alpha = 0.9, eps = 1e-6, momentum = 0.7, "
        "centered = true, weight_decay = 1e-2)", "RMSprop",
        dict(lr=0.005, alpha=0.9, eps=1e-6, momentum=0.7, centered=True, weight_decay=1e-2),
        {"square_avg": "square_avg", "momentum_buffer": "momentum_buffer",
         "grad_avg": "grad_avg"}),
    "rmsprop-centered": (
        "rmsprop", "rmsprop(lr = 0.005, alpha = 0.9, eps = 1e-6, centered = true, "
        "weight_decay = 1e-2)", "RMSprop",
        dict(lr=0.005, alpha=0.9, eps=1e-6, centered=True, weight_decay=1e-2),
        {"square_avg": "square_avg", "grad_avg": "grad_avg"}),
    "rmsprop-momentum": (
        "rmsprop", "rmsprop(lr = 0.005, alpha = 0.9, eps = 1e-6, momentum = 0.7, "
        "weight_decay = 1e-2)", "RMSprop",
        dict(lr=0.005, alpha=0.9, eps=1e-6, momentum=0.7, weight_decay=1e-2),
        {"square_avg": "square_avg", "momentum_buffer": "momentum_buffer"}),
    "adagrad": ("adagrad", "adagrad(lr = 0.05, lr_decay = 0.1, eps = 1e-6, "
                "initial_accumulator = 0.2, weight_decay = 1e-2)", "Adagrad",
                dict(lr=0.05, lr_decay=0.1, eps=1e-6, initial_accumulator_value=0.2,
                     weight_decay=1e-2), {"sum": "sum"}),
    "nadam": ("nadam", "nadam(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, "
              "weight_decay = 1e-2, momentum_decay = 0.05)", "NAdam",
              dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2,
                   momentum_decay=0.05), {"m": "exp_avg", "v": "exp_avg_sq",
                                          "mu_product": "mu_product"}),
}
# (lr_mult, decay_mult): none, and both away from 1
MULTS = {"plain": (1.0, 1.0), "mults": (2.0, 0.5)}


def _problem(steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(SHAPE).astype(np.float32)
    grads = [rng.standard_normal(SHAPE).astype(np.float32) for _ in range(steps)]
    return p0, grads


def test_every_optimizer_has_a_case():
    assert {case[0] for case in CASES.values()} == set(OPTIMIZERS)


@pytest.mark.parametrize("mults", sorted(MULTS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_reference_matches_pytorch(case, mults):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: the formula "
                                "transcriptions below still check every optimizer")
    name, call, cls, kwargs, slot_keys = CASES[case]
    lr_mult, decay_mult = MULTS[mults]
    p0, grads = _problem(steps=5)
    ours = Stepper(name, call, p0, lr_mult, decay_mult)
    assert set(ours.slots) == set(slot_keys)
    # our multipliers scale lr and weight_decay, AdamW's shrink 1 - lr * wd included
    kwargs = dict(kwargs, lr=kwargs["lr"] * lr_mult,
                  weight_decay=kwargs["weight_decay"] * decay_mult)
    kwargs["foreach"] = False            # the plain per-tensor loop, PyTorch's reference
    param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    optimizer = getattr(torch.optim, cls)([param], **kwargs)
    for g in grads:
        param.grad = torch.from_numpy(g.copy())
        optimizer.step()
        ours(g)
    np.testing.assert_allclose(ours.p, param.detach().numpy(), rtol=1e-5, atol=1e-7,
                               err_msg="parameter")
    state = optimizer.state[param]
    for slot, key in slot_keys.items():
        want = state[key].detach().numpy().reshape(ours.slots[slot].shape)
        np.testing.assert_allclose(ours.slots[slot], want, rtol=1e-5, atol=1e-7,
                                   err_msg=slot)


# -- the formulas written out (float64), independent of PyTorch ------------------------------

def _adamw(p, grads, lr, b1, b2, eps, wd):
    m = v = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        p = p * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p, {"m": m, "v": v}


def _rmsprop(p, grads, lr, alpha, eps, momentum, centered, wd):
    sq = buf = ga = np.zeros_like(p)
    for g in grads:
        g = g + wd * p
        sq = alpha * sq + (1 - alpha) * g * g
        ga = alpha * ga + (1 - alpha) * g
        avg = np.sqrt(sq - ga * ga if centered else sq) + eps
        buf = momentum * buf + g / avg
        p = p - lr * (buf if momentum else g / avg)
    slots = {"square_avg": sq}
    if momentum:
        slots["momentum_buffer"] = buf
    if centered:
        slots["grad_avg"] = ga
    return p, slots


def _adagrad(p, grads, lr, lr_decay, eps, initial, wd):
    s = np.full_like(p, initial)
    for t, g in enumerate(grads, 1):
        g = g + wd * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return p, {"sum": s}


def _nadam(p, grads, lr, b1, b2, eps, wd, psi):
    m = v = np.zeros_like(p)
    mus = [b1 * (1 - 0.5 * 0.96 ** (t * psi)) for t in range(1, len(grads) + 2)]
    for t, g in enumerate(grads, 1):
        g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        p = (p - lr * (1 - mus[t - 1]) / (1 - np.prod(mus[:t])) * g / denom
             - lr * mus[t] / (1 - np.prod(mus[:t + 1])) * m / denom)
    return p, {"m": m, "v": v, "mu_product": np.array([np.prod(mus[:len(grads)])])}


FORMULAS = {
    "adamw": ("adamw(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weight_decay = 0.5)",
              lambda p, gs: _adamw(p, gs, 0.01, 0.8, 0.99, 1e-6, 0.5)),
    "rmsprop": ("rmsprop(lr = 0.005, alpha = 0.9, eps = 1e-6, weight_decay = 1e-2)",
                lambda p, gs: _rmsprop(p, gs, 0.005, 0.9, 1e-6, 0.0, False, 1e-2)),
    "rmsprop-centered-momentum": (
        "rmsprop(lr = 0.005, alpha = 0.9, eps = 1e-6, momentum = 0.7, centered = true, "
        "weight_decay = 1e-2)",
        lambda p, gs: _rmsprop(p, gs, 0.005, 0.9, 1e-6, 0.7, True, 1e-2)),
    "adagrad": ("adagrad(lr = 0.05, lr_decay = 0.1, eps = 1e-6, initial_accumulator = 0.2, "
                "weight_decay = 1e-2)",
                lambda p, gs: _adagrad(p, gs, 0.05, 0.1, 1e-6, 0.2, 1e-2)),
    "nadam": ("nadam(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weight_decay = 1e-2, "
              "momentum_decay = 0.05)",
              lambda p, gs: _nadam(p, gs, 0.01, 0.8, 0.99, 1e-6, 1e-2, 0.05)),
}


@pytest.mark.parametrize("case", sorted(FORMULAS))
def test_reference_matches_the_formula(case):
    call, formula = FORMULAS[case]
    p0, grads = _problem(steps=3, seed=1)
    ours = Stepper(call.split("(")[0], call, p0)
    for g in grads:
        ours(g)
    want_p, want_slots = formula(p0.astype(np.float64), [g.astype(np.float64) for g in grads])
    assert set(ours.slots) == set(want_slots)
    np.testing.assert_allclose(ours.p, want_p, rtol=1e-5, atol=1e-7, err_msg="parameter")
    for slot, want in want_slots.items():
        np.testing.assert_allclose(ours.slots[slot], want, rtol=1e-5, atol=1e-7, err_msg=slot)
    assert not np.allclose(ours.p, p0, rtol=1e-3), "the steps must move the parameter"


def test_defaults_are_pytorchs():
    assert _options("adamw()") == dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                                       weight_decay=1e-2)
    assert _options("rmsprop()") == dict(lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0,
                                         centered=False, weight_decay=0.0)
    assert _options("adagrad()") == dict(lr=1e-2, lr_decay=0.0, eps=1e-10,
                                         initial_accumulator=0.0, weight_decay=0.0)
    assert _options("nadam()") == dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                                       weight_decay=0.0, momentum_decay=4e-3)


def test_adamw_decay_is_decoupled_from_the_gradient():
    # with a zero gradient, adam's L2 decay still moves m; adamw's only shrinks the weights
    p0 = np.ones(SHAPE, np.float32)
    ours = Stepper("adamw", "adamw(lr = 0.1, weight_decay = 0.5)", p0)
    ours(np.zeros(SHAPE, np.float32))
    np.testing.assert_allclose(ours.p, 0.95, rtol=1e-6)
    assert not ours.slots["m"].any() and not ours.slots["v"].any()


@pytest.mark.parametrize("call, slots", [
    ("rmsprop()", ["square_avg"]),
    ("rmsprop(momentum = 0.5)", ["square_avg", "momentum_buffer"]),
    ("rmsprop(centered = true)", ["square_avg", "grad_avg"]),
    ("rmsprop(momentum = 0.5, centered = true)", ["square_avg", "momentum_buffer", "grad_avg"]),
])
def test_rmsprop_slots_are_structure(call, slots):
    assert [s.name for s in OPTIMIZERS["rmsprop"].slot_specs(_options(call))] == slots


def _graphs(call: str):
    text = ('data { source = npz("unused.npz") }\nmodel { input [4] dense(3) }\n'
            f"loss = cross_entropy\noptimizer = {call}\ntrain {{ epochs = 1 }}\n")
    return build_step_graphs(recipec.loads(text, "o.recipe"))


def test_slot_initial_values_reach_the_training_state():
    graphs = _graphs("adagrad(initial_accumulator = 0.25)")
    state = TrainState.fresh(graphs, seed=0)
    assert [s.name for s in graphs.slots] == ["dense_1.weight:sum", "dense_1.bias:sum"]
    assert all((a == np.float32(0.25)).all() for a in state.slots)
    # the accumulator's start is state, not an input of the step: changing it compiles nothing
    assert "optimizer.initial_accumulator" not in {h.name for h in graphs.hypers}
    plain = _graphs("adagrad()")
    assert [n.op for n in plain.train.nodes] == [n.op for n in graphs.train.nodes]
    assert [v.name for v in plain.train.inputs] == [v.name for v in graphs.train.inputs]

    graphs = _graphs("nadam()")
    state = TrainState.fresh(graphs, seed=0)
    products = [(s, a) for s, a in zip(graphs.slots, state.slots) if s.name.endswith("product")]
    assert [s.name for s, _ in products] == ["dense_1.weight:mu_product",
                                             "dense_1.bias:mu_product"]
    assert all(s.shape == (1,) and a.tolist() == [1.0] for s, a in products)


BAD = [
    ("adamw(weight_decay = -0.1)", "weight_decay"),
    ("adamw(beta1 = 1)", "beta1"),
    ("rmsprop(alpha = 1)", "alpha"),
    ("rmsprop(alpha = -0.5)", "alpha"),
    ("rmsprop(eps = 0)", "eps"),
    ("rmsprop(momentum = 1)", "momentum"),
    ("adagrad(lr_decay = -1)", "lr_decay"),
    ("adagrad(eps = 0)", "eps"),
    ("adagrad(initial_accumulator = -0.1)", "initial_accumulator"),
    ("adagrad(lr = 0)", "lr"),
    ("nadam(momentum_decay = -0.001)", "momentum_decay"),
    ("nadam(beta2 = 1.5)", "beta2"),
]


@pytest.mark.parametrize("call, option", BAD)
def test_bad_option_ranges_are_E202_at_the_option(call, option):
    line = f"optimizer = {call}"
    text = ("data { source = iris }\nmodel { input [4] dense(3) }\nloss = cross_entropy\n"
            f"{line}\ntrain {{ epochs = 1 }}\n")
    with pytest.raises(RecipeError) as e:
        check_source(text, "t.recipe")
    [d] = e.value.diagnostics
    start = line.index(option) + 1                     # 1-based columns
    assert (d.code, d.span.line) == ("E202", 4)
    assert start <= d.span.col < start + len(call) - call.index(option), (d.span, line)
    assert option in d.message, d.message
