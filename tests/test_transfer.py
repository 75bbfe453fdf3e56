"""`freeze` and `init = checkpoint(...)` in compiled trainings: a frozen layer's parameters
(and a frozen batchnorm's statistics) are bitwise what they started as while the others move,
it has no optimizer slots, the compiled step with frozen layers equals the numpy reference
interpreter, and a recipe B initialised from recipe A's checkpoint starts from A's tensors for
the named layers and its own fresh draw for the rest. Small shapes; the static and hostile
cases are front-end tests in tests/test_transfer_check.py."""
from __future__ import annotations

import numpy as np
from hostile import accepted, cli, write
from oracle import HEADER, assert_steps_match_reference, random_batches

import recipec
from recipec.runtime import checkpoint
from recipec.runtime.state import TrainState

# every penalty and constraint that could touch a frozen weight is on: l2, max_norm, the
# optimizer's weight decay; a frozen batchnorm sits behind a trained layer, so the gradient
# passes through it (batchnorm_infer's VJP)
FROZEN = """
model {
  input [6]
  dense(8, freeze = true, l2 = 0.1, max_norm = 0.5) batchnorm relu
  dense(7) batchnorm(freeze = true) tanh
  dense(3)
}
loss = cross_entropy
optimizer = sgd(lr = 0.1, momentum = 0.9, weight_decay = 0.01)
"""
FROZEN_NAMES = ("dense_1.weight", "dense_1.bias", "batchnorm_2.weight", "batchnorm_2.bias",
                "batchnorm_2.running_mean", "batchnorm_2.running_var")


def _program(text: str):
    return recipec.compile(recipec.loads(HEADER + text, "frozen.recipe"))


def test_frozen_layers_are_bitwise_unchanged_and_have_no_slots():
    program = _program(FROZEN)
    names = [s.name for s in program.graphs.slots]
    trained = [p.name for p in program.graphs.params if not p.frozen]
    assert names == [f"{p}:velocity" for p in trained]           # one momentum slot each
    assert not any(n.startswith(("dense_1.", "batchnorm_2.")) for n in names)
    # the executable's own state: 10 parameters, 4 statistics, 6 slots (10 unfrozen)
    from recipec.runtime.monitor import COUNTERS
    held = [k for k in program.executable.state() if k not in COUNTERS]
    assert len(held) == 10 + 4 + 6, sorted(held)
    # unfrozen (a --set), the same model gets a slot for every parameter again
    free = recipec.compile(recipec.loads(HEADER + FROZEN, "free.recipe",
                                         ["model.dense_1.freeze=false",
                                          "model.batchnorm_2.freeze=false"]))
    assert len(free.graphs.slots) == len(free.graphs.params) == 10

    x, y = random_batches(program, 8 * 6, np.random.default_rng(0))
    before = {k: v.copy() for k, v in program.state.named(program.graphs).items()}
    order = np.arange(len(x), dtype=np.int64)
    program.train_steps(x.reshape(len(x), -1), y, order, 0, 6, 8, steps_per_epoch=6)
    after = program.state.named(program.graphs)
    for name in FROZEN_NAMES:
        assert np.array_equal(after[name], before[name]), name
    for name in ("dense_2.weight", "dense_3.bias", "batchnorm_1.weight",
                 "batchnorm_1.running_mean"):
        assert not np.array_equal(after[name], before[name]), name
    assert program.graphs.penalty(after, program.executable.hypers) is None   # l2 not applied


def test_compiled_step_with_frozen_layers_equals_the_reference():
    program = _program(FROZEN)
    x, y = random_batches(program, 8 * 5, np.random.default_rng(1))
    assert_steps_match_reference(program, x, y, batch=8, steps=5, change_rtol=1e-3)


A = """\
recipe a
data {{ source = iris()  normalize = standard }}
model {{
  {init}
  input [4]
  dense(6{freeze}) batchnorm relu
  dense(3)
}}
loss = cross_entropy
optimizer = adam(lr = 0.01)
train {{ epochs = 1  batch = 16  seed = {seed} }}
"""


def test_init_from_a_trained_run_copies_its_tensors_for_the_named_layers(tmp_path):
    a = write(tmp_path, "a.recipe", A.format(init="", freeze="", seed=1))
    accepted(cli("run", a, "--quiet", "--checkpoints", tmp_path / "runs" / "a"))
    [written] = checkpoint.checkpoints(tmp_path / "runs" / "a")
    tensors, _ = checkpoint.read(written)
    b = write(tmp_path, "b.recipe", A.format(
        init='init = checkpoint("runs/a", layers = [dense_1, batchnorm_1])',
        freeze=", freeze = true", seed=2))
    program = recipec.compile(recipec.load(b))
    start = {k: v.copy() for k, v in program.state.named(program.graphs).items()}  # loaded
    fresh = TrainState.fresh(program.graphs, 2).named(program.graphs)
    copied = {n for n in start if n.startswith(("dense_1.", "batchnorm_1.")) and ":" not in n}
    assert len(copied) == 6
    for name, value in start.items():
        want = tensors[name] if name in copied else fresh[name]
        assert np.array_equal(value, want), name
    assert not np.array_equal(start["dense_2.weight"], tensors["dense_2.weight"])
    program.fit()                                      # and training leaves them as they were
    after = program.state.named(program.graphs)
    for name in ("dense_1.weight", "dense_1.bias"):
        assert np.array_equal(after[name], tensors[name]), name
    assert not np.array_equal(after["dense_2.weight"], start["dense_2.weight"])
