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


@pytest.mark.parametrize("name", sorted(__import__("recipec.compiler.schedules",
                                                   fromlist=["SCHEDULES"]).SCHEDULES))
def test_every_schedule_row_is_checked_and_starts_at_the_base_rate(name):
    """Each registry row: its schema is what the checker validates (catalog), and at step 0
    every schedule gives the base rate."""
    from recipec.compiler import catalog
    from recipec.compiler.schedules import SCHEDULES

    row = SCHEDULES[name]
    assert catalog.SCHEDULES[name].opts == row.opts
    options = {"every": Duration(3, "steps"), "gamma": 0.5, "power": 0.75}
    lr = learning_rates(SGD, Call(name, {k: options.get(k) for k in
                                         (o.name for o in row.opts)}, S), 0, 7, 10)
    assert lr.dtype == np.float32 and lr.shape == (7,) and lr[0] == np.float32(0.01)
    assert np.all(lr <= np.float32(0.01)) and np.all(np.diff(lr) <= 0)   # none rises
