"""Learning-rate schedules and step-bounded training, against their closed forms."""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.compiler.diagnostics import Span
from recipec.compiler.options import Duration
from recipec.compiler.recipe import Call
from recipec.runtime.schedule import learning_rates

S = Span.unknown()
SGD = Call("sgd", {"lr": 0.01}, S)


def test_constant():
    np.testing.assert_allclose(learning_rates(SGD, Call("constant", {}, S), 5, 3, 10), 0.01)


def test_step_decays_at_epoch_boundaries():
    sched = Call("step", {"every": Duration(2, "epochs"), "gamma": 0.5}, S)
    lr = learning_rates(SGD, sched, 0, 60, 10)      # 10 steps per epoch
    assert lr[19] == np.float32(0.01) and lr[20] == np.float32(0.005) and lr[40] == np.float32(0.0025)


def test_exponential_defaults_to_one_epoch():
    sched = Call("exponential", {"gamma": 0.9, "every": None}, S)
    lr = learning_rates(SGD, sched, 0, 21, 10)
    np.testing.assert_allclose(lr[[0, 10, 20]], [0.01, 0.009, 0.0081], rtol=1e-6)


def test_inv_matches_caffe():
    """Caffe: lr = base_lr * (1 + gamma * iter) ^ (-power); LeNet's solver values."""
    sched = Call("inv", {"gamma": 1e-4, "power": 0.75}, S)
    lr = learning_rates(SGD, sched, 9990, 10, 938)
    want = 0.01 * (1 + 1e-4 * np.arange(9990, 10000)) ** -0.75
    np.testing.assert_allclose(lr, want, rtol=1e-6)


@pytest.mark.cpu
def test_steps_bound_training_across_epochs():
    text = """
    data { source = iris()  normalize = standard }
    model { input [4] dense(8) relu dense(3) }
    loss = cross_entropy
    optimizer = sgd(lr = 0.1, momentum = 0.9)
    schedule = inv(gamma = 1e-4, power = 0.75)
    train { steps = 25  batch = 16 }
    """
    program = recipec.compile(recipec.loads(text, "steps.recipe"))
    history = program.fit()
    assert program.state.step == 25
    # 150 rows / 16 = 10 steps per epoch: two full epochs, then 5 steps of the third
    assert [r.steps for r in history.epochs] == [10, 10, 5]
    assert program.state.epoch == 2


def test_train_needs_exactly_one_bound():
    import pytest

    base = "data { source = iris() } model { input [4] dense(3) } loss = cross_entropy " \
           "optimizer = sgd(lr = 0.1) "
    for train in ("train { batch = 4 }", "train { epochs = 1 steps = 3 }"):
        with pytest.raises(recipec.RecipeError) as err:
            recipec.loads(base + train, "t.recipe")
        assert "exactly one of `epochs = N` or `steps = N`" in str(err.value)


def _call(text: str, epochs: int = 6) -> tuple[Call, "recipec.Recipe"]:
    recipe = recipec.loads("data { source = iris } model { input [4] dense(3) } "
                           "loss = cross_entropy optimizer = sgd(0.1) schedule = " + text +
                           f" train {{ epochs = {epochs}  batch = 32 }}", "s.recipe")
    return recipe.schedule, recipe


def rates(text: str, spe: int = 4, epochs: int = 6) -> np.ndarray:
    """Every step's rate of a 6-epoch run of `spe` steps per epoch, base lr 0.1."""
    call, recipe = _call(text, epochs)
    total = recipe.train.total_steps(spe)
    return learning_rates(recipe.optimizer, call, 0, total, spe, total).astype(np.float64)


# one row per schedule: an example call
ROWS = {
    "constant": "constant", "step": "step(every = 2 epochs, gamma = 0.5)",
    "exponential": "exponential(0.9)", "inv": "inv(gamma = 1e-2, power = 0.75)",
    "multistep": "multistep([2 epochs, 5 epochs], gamma = 0.5)", "poly": "poly(2)",
    "linear": "linear(to = 0.1)", "cosine": "cosine(to = 0.1)",
    "onecycle": "onecycle(0.5)", "warmup": "warmup(2 epochs, then = cosine())",
}
T = 24          # steps in the 6-epoch run of `rates`


@pytest.mark.parametrize("name", sorted(__import__("recipec.compiler.schedules",
                                                   fromlist=["SCHEDULES"]).SCHEDULES))
def test_every_schedule_row_is_checked_and_starts_where_it_says(name):
    """Each registry row has a row here; its schema is what the checker validates (catalog);
    a schedule that does not rise starts at the base rate and never exceeds it."""
    from recipec.compiler import catalog
    from recipec.compiler.schedules import SCHEDULES

    assert set(ROWS) == set(SCHEDULES), "adding a schedule means adding a row to ROWS"
    row = SCHEDULES[name]
    assert catalog.SCHEDULES[name].opts == row.opts
    lr = rates(ROWS[name])
    assert lr.shape == (T,) and np.all(np.isfinite(lr)) and np.all(lr >= 0)
    if not row.rises:
        assert lr[0] == np.float32(0.1)
        assert np.all(lr <= np.float32(0.1)) and np.all(np.diff(lr) <= 0)
    else:
        assert lr.max() > lr[0]


def test_closed_forms_of_the_annealing_schedules():
    t = np.arange(T, dtype=np.float64)

    def f32(a):
        return np.asarray(a, np.float32).astype(np.float64)

    assert np.array_equal(rates("multistep([2 epochs, 5 epochs], gamma = 0.5)"),
                          f32(0.1 * 0.5 ** ((t >= 8).astype(int) + (t >= 20))))
    np.testing.assert_allclose(rates("poly(2)"), 0.1 * (1 - t / T) ** 2, rtol=1e-6)
    np.testing.assert_allclose(rates("linear(to = 0.1)"), 0.1 * (1 - 0.9 * t / T), rtol=1e-6)
    np.testing.assert_allclose(rates("cosine(to = 0.1)"),
                               0.1 * (0.1 + 0.9 * (1 + np.cos(np.pi * t / T)) / 2), rtol=1e-6)
    # SGDR: cycles of 4, 8, 16 steps, each restarting at the base rate
    sgdr = rates("cosine(restarts = 1 epochs, mult = 2)")
    assert [i for i in range(1, T) if sgdr[i] > sgdr[i - 1]] == [4, 12]
    warm = rates("warmup(2 epochs, then = cosine())")
    np.testing.assert_allclose(warm[:8], 0.1 * t[:8] / 8, rtol=1e-6)
    np.testing.assert_allclose(warm[8:], 0.1 * (1 + np.cos(np.pi * (t[8:] - 8) / 16)) / 2,
                               rtol=1e-6, atol=1e-9)
    one = rates("onecycle(0.5)")     # up for 0.3 * 24 - 1 = 6.2 steps, then down
    assert one[0] == np.float32(0.5 / 25) and int(np.argmax(one)) in (6, 7)
    np.testing.assert_allclose(one[-1], 0.5 / 25 / 1e4, rtol=1e-4)


def _torch_rates(torch, make, steps: int, base: float = 0.1) -> np.ndarray:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


def test_schedules_match_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the schedules are "
                                "checked against their closed forms only")
    S_ = torch.optim.lr_scheduler
    cases = {
        "step(every = 2 epochs, gamma = 0.5)": lambda o: S_.StepLR(o, 8, 0.5),
        "multistep([2 epochs, 5 epochs], gamma = 0.5)":
            lambda o: S_.MultiStepLR(o, [8, 20], 0.5),
        "poly(2)": lambda o: S_.PolynomialLR(o, total_iters=T, power=2.0),
        "linear(to = 0.1)": lambda o: S_.LinearLR(o, 1.0, 0.1, total_iters=T),
        "cosine(to = 0.1)": lambda o: S_.CosineAnnealingLR(o, T_max=T, eta_min=0.01),
        "cosine(to = 0.05, restarts = 1 epochs, mult = 2)":
            lambda o: S_.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.005),
        "cosine(restarts = 3 steps)":
            lambda o: S_.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=1),
        "onecycle(0.5)": lambda o: S_.OneCycleLR(o, max_lr=0.5, total_steps=T,
                                                 cycle_momentum=False),
        "onecycle(0.3, pct_start = 0.5, div_factor = 10, final_div_factor = 100, "
        "anneal = linear)": lambda o: S_.OneCycleLR(
            o, max_lr=0.3, total_steps=T, pct_start=0.5, div_factor=10,
            final_div_factor=100, anneal_strategy="linear", cycle_momentum=False),
        "warmup(2 epochs, from = 0.1, then = cosine(to = 0.2))": lambda o: S_.SequentialLR(
            o, [S_.LinearLR(o, 0.1, 1.0, total_iters=8),
                S_.CosineAnnealingLR(o, T_max=16, eta_min=0.02)], milestones=[8]),
    }
    for text, make in cases.items():
        np.testing.assert_allclose(rates(text), _torch_rates(torch, make, T), rtol=2e-6,
                                   atol=1e-9, err_msg=text)


@pytest.mark.parametrize("text, message", [
    ("warmup(6 epochs)", "a length of 6 epochs is not shorter than the run (6 epochs)"),
    ("warmup(1 epochs, then = warmup(6 epochs))", "a length of 6 epochs is not shorter"),
    ("warmup(2 epochs, then = cosine(to = 2))", "to must be"),
    ("warmup(2 epochs, then = cosin())", "did you mean `cosine`"),
    ("multistep([])", "expected a list of durations"),
    ("multistep([3, 4])", "add a unit"),
    ("cosine(mult = 0)", "mult must be"),
    ("onecycle(pct_start = 1)", "pct_start must be"),
])
def test_bad_schedules_are_refused_at_their_text(text, message):
    with pytest.raises(recipec.RecipeError) as err:
        _call(text)
    said = " ".join(f"{d.message} {d.hint}" for d in err.value.diagnostics)
    assert message in said


def test_a_warmup_in_steps_longer_than_an_epoch_bounded_run_is_found_with_the_data():
    """iris: 150 rows, batch 32 -> 5 steps per epoch, 2 epochs = 10 steps."""
    _, recipe = _call("warmup(10 steps, then = cosine())", epochs=2)
    with pytest.raises(recipec.DataError) as err:
        recipec.check_data(recipe)
    assert "a length of 10 steps is not shorter than the run (2 epochs = 10 steps;" in \
        str(err.value)
    _, recipe = _call("warmup(9 steps, then = cosine())", epochs=2)
    assert len(recipec.check_data(recipe).train) == 150
