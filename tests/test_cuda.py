"""The CUDA target (compiler/lower/cuda/) in Numba's simulator (NUMBA_ENABLE_CUDASIM=1, set by
conftest.py unless a GPU run sets it to 0): each example recipe's first steps give the CPU
target's losses and state within float32 tolerance, the same seed gives the same bits twice,
data and state stay on the device (the transfers are counted), and a machine without a GPU,
a missing package or an op without a CUDA kernel gets a diagnostic, never a traceback.

The simulator runs one Python thread per CUDA thread: batches are a few rows and a chunk a
few steps, so the whole file takes seconds.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import recipec
from hostile import cli
from recipec.compiler.check import check_source

# the simulator runs the counter RNG's uint64 arithmetic in numpy, which warns where it wraps
pytestmark = [pytest.mark.cuda,
              pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")]

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
SHARED = ROOT.parent / "shared" / "data"

STEPS = 3


def _program(path: Path, target: str, sets=()):
    text = path.read_text().replace("../../shared/data", str(SHARED))
    recipe = check_source(text, str(path), ["train.batch=6", *sets])
    return recipe, recipec.compile(recipe, target=target, base_dir=path.parent)


def _steps(path: Path, target: str, sets=(), steps: int = STEPS):
    """(losses, corrects, state) after `steps` training steps on the first rows."""
    _, program = _program(path, target, sets)
    x, y = program._arrays(program.load_data().train)
    executable = program.executable
    order = np.arange(len(x), dtype=np.int64)
    lrs = np.full(steps, 0.01, np.float32)
    losses, corrects = executable.train_chunk(x, y, order, 0, steps, 6, lrs)
    state = {k: np.array(v, copy=True) for k, v in executable.state().items()}
    return losses, corrects, state


MLP_RECIPES = ["iris_mlp", "digits_mlp", "wine_adamw_cosine", "breast_cancer_bce",
               "mnist1d_mlp", "mnist1d_logreg"]


@pytest.mark.parametrize("name", MLP_RECIPES)
def test_first_steps_match_the_cpu_target(name):
    path = RECIPES / f"{name}.recipe"
    if "shared/data" in path.read_text() and not SHARED.exists():
        pytest.skip(f"{SHARED} is not here")
    cpu = _steps(path, "cpu")
    cuda = _steps(path, "cuda")
    np.testing.assert_allclose(cuda[0], cpu[0], rtol=1e-5, atol=1e-6)
    assert np.array_equal(cuda[1], cpu[1])
    for tensor, value in cpu[2].items():
        np.testing.assert_allclose(cuda[2][tensor], value, rtol=1e-4, atol=1e-6,
                                   err_msg=tensor)


def test_dropout_masks_are_the_cpu_targets():
    """The counter RNG is the same integer arithmetic on both targets: a dropout layer drops
    the same units, so the losses agree to float32 rounding, step after step."""
    text = """recipe drop
data { source = iris  normalize = standard }
model { input [4] dense(16) relu dropout(0.5) dense(3) }
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 1  batch = 6  seed = 3 }
"""
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "recipec_cuda_dropout.recipe"
    path.write_text(text)
    cpu, cuda = _steps(path, "cpu"), _steps(path, "cuda")
    np.testing.assert_allclose(cuda[0], cpu[0], rtol=1e-5)
    for tensor, value in cpu[2].items():
        np.testing.assert_allclose(cuda[2][tensor], value, rtol=1e-4, atol=1e-6)


TINY = """recipe tiny
data {{ source = iris  normalize = standard }}
model {{ input [4] dense(8{layer}){after} relu dense({outputs}{head}) }}
loss = {loss}
optimizer = {optimizer}
train {{ epochs = 1  batch = 6  seed = 1 }}
{extra}
"""

# one row per op family the CUDA target emits beyond the example recipes' (optimizers,
# losses, regularisation): the same first steps on both targets
OP_CASES = {
    "rmsprop": dict(optimizer="rmsprop(lr = 0.01, momentum = 0.9, centered = true)"),
    "rmsprop_plain": dict(optimizer="rmsprop(lr = 0.01, weight_decay = 0.01)"),
    "adagrad": dict(optimizer="adagrad(lr = 0.1, lr_decay = 0.01, weight_decay = 0.001)"),
    "nadam": dict(optimizer="nadam(lr = 0.01, weight_decay = 0.001)"),
    "sgd_nesterov": dict(optimizer="sgd(lr = 0.1, momentum = 0.9, nesterov = true)"),
    "adamw": dict(optimizer="adamw(lr = 0.01, weight_decay = 0.1)"),
    "l1_l2_max_norm": dict(layer=", l1 = 0.001, l2 = 0.01, max_norm = 0.5"),
    "clip_norm": dict(extra="clip = norm(0.1)"),
    "clip_value": dict(extra="clip = value(0.01)"),
    "smoothing_weights": dict(loss="cross_entropy(label_smoothing = 0.1, "
                                   "class_weights = [1, 2, 0.5])"),
    "hinge": dict(loss="hinge(margin = 1.5)"),
    "mae": dict(loss="mae", outputs="1"),
    "huber": dict(loss="huber(delta = 0.3)", outputs="1"),
    "softmax_hinge": dict(loss="hinge", head=") softmax ("),
    # (SGD: the bias before a batch norm has a zero gradient up to rounding noise, which
    # Adam would scale up to full steps of either sign)
    "batchnorm": dict(after=" batchnorm(momentum = 0.5)"),
    "frozen_batchnorm": dict(after=" batchnorm(freeze = true)"),
}


@pytest.mark.parametrize("case", sorted(OP_CASES))
def test_op_families_match_the_cpu_target(case, tmp_path):
    """(mae and huber fit iris' class index as a number: the task follows the loss)"""
    options = {**dict(layer="", after="", outputs="3", head="", loss="cross_entropy",
                      optimizer="sgd(lr = 0.1)", extra=""), **OP_CASES[case]}
    path = tmp_path / f"{case}.recipe"
    path.write_text(TINY.format(**options).replace(" softmax ()", " softmax"))
    cpu, cuda = _steps(path, "cpu"), _steps(path, "cuda")
    np.testing.assert_allclose(cuda[0], cpu[0], rtol=1e-5, atol=1e-6)
    for tensor, value in cpu[2].items():
        np.testing.assert_allclose(cuda[2][tensor], value, rtol=1e-4, atol=1e-6,
                                   err_msg=tensor)


AUGMENTED = """recipe aug
data {{ source = digits  reshape = [1, 8, 8]  normalize = standard  augment = [{augment}] }}
model {{ input [1, 8, 8] flatten dense(10) }}
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train {{ epochs = 1  batch = 6  seed = 2 }}
"""


@pytest.mark.parametrize("augment", ["shift(2)", "flip(horizontal = true, vertical = true)",
                                     "rotate(30)", "noise(0.3)"])
def test_augmentations_draw_what_the_cpu_draws(augment, tmp_path):
    """Same seed, same step: the same offsets, flips, angles and normals on both targets."""
    path = tmp_path / "aug.recipe"
    path.write_text(AUGMENTED.format(augment=augment))
    cpu, cuda = _steps(path, "cpu"), _steps(path, "cuda")
    np.testing.assert_allclose(cuda[0], cpu[0], rtol=1e-5, atol=1e-6)
    for tensor, value in cpu[2].items():
        np.testing.assert_allclose(cuda[2][tensor], value, rtol=1e-4, atol=1e-6,
                                   err_msg=tensor)


def test_the_same_seed_gives_the_same_bits():
    path = RECIPES / "digits_mlp.recipe"
    first, second = _steps(path, "cuda"), _steps(path, "cuda")
    assert np.array_equal(first[0], second[0])
    for tensor, value in first[2].items():
        assert np.array_equal(second[2][tensor], value), tensor


def test_data_and_state_stay_on_the_device():
    """Transfers happen at chunk boundaries only, never per step: the state once to the
    device, each split's arrays and the hyperparameters once, each epoch's visiting order,
    and per chunk its learning rates there and its losses and correct counts back. Twice the
    steps per epoch (half the batch) costs not one transfer more."""
    def run(batch: int, epochs: int) -> tuple[dict, int]:
        recipe = check_source((RECIPES / "iris_mlp.recipe").read_text(), "iris.recipe",
                              [f"train.batch={batch}", f"train.epochs={epochs}",
                               "data.validation=0.0"])
        program = recipec.compile(recipe, target="cuda", base_dir=RECIPES)
        program.check_divergence = False       # it reads the state after every chunk
        executable = program.executable
        chunks = []
        real = executable.train_chunk
        executable.train_chunk = lambda *a: chunks.append(a[4]) or real(*a)
        program.fit()
        return dict(executable.copies), len(chunks), sum(chunks)

    for batch, epochs in ((50, 1), (25, 1), (50, 2)):
        copies, chunks, steps = run(batch, epochs)
        assert steps == epochs * 150 // batch
        assert copies == {"to_device": 1 + 3 + epochs + chunks,    # state; X, Y, hypers
                          "to_host": 2 * chunks}, (batch, epochs, copies, chunks)


def test_fit_and_predict_on_the_device_match_the_cpu():
    def trained(target):
        recipe = check_source((RECIPES / "iris_mlp.recipe").read_text(), "iris.recipe",
                              ["train.epochs=2", "train.batch=25"])
        program = recipec.compile(recipe, target=target, base_dir=RECIPES)
        program.fit()
        x = program.load_data().validation.x
        return program.predict(x), program.evaluate("validation")

    (p_cpu, m_cpu), (p_cuda, m_cuda) = trained("cpu"), trained("cuda")
    np.testing.assert_allclose(p_cuda, p_cpu, rtol=1e-4, atol=1e-5)
    assert m_cuda["accuracy"] == m_cpu["accuracy"]


def test_recipe_and_command_line_choose_the_target(tmp_path):
    out = cli("compile", RECIPES / "iris_mlp.recipe", "--target", "cuda", "--emit", "numba")
    assert out.code == 0, out.err
    assert "@cuda.jit" in out.out and "grid.sync()" in out.out
    assert "def train_chunk(" in out.out and "def predict_chunk(" in out.out
    text = (RECIPES / "iris_mlp.recipe").read_text().replace("seed = 0 }",
                                                             "seed = 0  target = cuda }")
    recipe = check_source(text, "iris.recipe", [])
    assert recipe.train.target == "cuda"
    bad = check_source.__globals__["RecipeError"]
    with pytest.raises(bad) as err:
        check_source(text.replace("target = cuda", "target = tpu"), "iris.recipe", [])
    assert "tpu" in str(err.value)


def test_an_op_without_a_cuda_kernel_is_a_diagnostic():
    out = cli("run", RECIPES / "mnist1d_cnn.recipe", "--target", "cuda", "--no-store",
              "--set", f"data.source.path={SHARED / 'mnist1d' / 'mnist1d_data.npz'}")
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not here")
    assert out.code == 2, out.err
    assert "error[X003]" in out.err and "--target cpu" in out.err
    assert "Traceback" not in out.err


def test_no_gpu_is_a_clear_message(tmp_path):
    """Without the simulator and without a GPU (this machine), --target cuda names what is
    missing and suggests --target cpu, exit code 2."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    proc = subprocess.run([sys.executable, "-m", "recipec", "run",
                           str(RECIPES / "iris_mlp.recipe"), "--target", "cuda", "--no-store"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    probe = subprocess.run([sys.executable, "-c", "from numba import cuda; "
                            "print(cuda.is_available())"], capture_output=True, text=True,
                           env=env)
    if probe.stdout.strip() == "True":
        pytest.skip("this machine has a GPU")
    assert proc.returncode == 2, proc.stderr
    assert "error[X00" in proc.stderr and "--target cpu" in proc.stderr
    assert "Traceback" not in proc.stderr


def _iris_program(*sets):
    recipe = check_source((RECIPES / "iris_mlp.recipe").read_text(), "iris.recipe",
                          ["train.batch=50", *sets])
    return recipec.compile(recipe, target="cuda", base_dir=RECIPES)


def test_state_round_trips_through_the_host_and_training_continues_exactly():
    """state() / load_state() on the device target: two fits of one epoch equal one of two,
    and a fresh executable given the state after one epoch continues to the same bits
    (checkpoints and --resume rest on exactly this)."""
    straight = _iris_program()
    straight.fit(epochs=2)
    halves = _iris_program()
    halves.fit(epochs=1)
    saved = {k: np.array(v, copy=True) for k, v in halves.executable.state().items()}
    halves.fit(epochs=1)
    resumed = _iris_program()
    resumed.executable.load_state(saved)
    resumed.fit(epochs=1)
    want = straight.executable.state()
    for program in (halves, resumed):
        got = program.executable.state()
        for name in want:
            assert np.array_equal(got[name], want[name]), name


def test_a_run_on_the_cuda_target_is_recorded_and_resumable(tmp_path):
    runs = tmp_path / "runs"
    first = cli("run", RECIPES / "iris_mlp.recipe", "--target", "cuda", "--runs", runs,
                "--set", "train.epochs=2", "--set", "train.batch=50", "--set",
                "train.checkpoint=1 epochs", "--quiet")
    assert first.code == 0, first.err
    again = cli("run", RECIPES / "iris_mlp.recipe", "--target", "cuda", "--runs", runs,
                "--set", "train.epochs=3", "--set", "train.batch=50", "--set",
                "train.checkpoint=1 epochs", "--resume", "--force", "--quiet")
    assert again.code == 0, again.err
    listed = cli("runs", "--runs", runs)
    assert listed.code == 0 and listed.out.count("iris_mlp") >= 2, listed.out


def test_a_search_runs_its_trials_on_the_cuda_target(tmp_path, monkeypatch):
    """Trials are runs: with --target cuda each trains on the device, and trials that differ
    only in run-time values share one generated module, as on the CPU."""
    from recipec.compiler.lower import cache
    loaded: list[str] = []
    real = cache.load_path
    monkeypatch.setattr(cache, "load_path",
                        lambda path, source=None: loaded.append(path.stem) or real(path, source))
    recipe = tmp_path / "s.recipe"
    recipe.write_text("""recipe cuda_search
data { source = iris  normalize = standard  validation = 0.3 }
model { input [4] dense(8) relu dense(3) }
loss = cross_entropy
optimizer = sgd(lr = choice(0.05, 0.2))
train { epochs = 2  batch = 35 }
search { method = grid  metric = val_accuracy  batch_trials = 1 }
""")
    out = cli("search", recipe, "--target", "cuda", "--runs", tmp_path / "runs",
              "--no-plots")
    assert out.code == 0, out.err
    assert out.err.count("val_accuracy") >= 2, out.err          # a line per trial
    assert {name for name in loaded if name.startswith("recipec_cuda")} and \
        not any(name.startswith("recipec_cpu_") for name in loaded), loaded
    assert len({name for name in loaded if name.startswith("recipec_cuda")}) == 1, loaded


def test_the_gpu_benchmark_says_why_it_cannot_run_here():
    """`python -m bench --target cuda` needs a GPU and torch's CUDA build; without them it
    names what is missing and exits 0 (no GPU figure is ever estimated)."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                           capture_output=True, text=True, env=env)
    if probe.stdout.strip() == "True":
        pytest.skip("this machine has a GPU: the benchmark would run for minutes")
    out = subprocess.run([sys.executable, "-m", "bench", "--target", "cuda"], cwd=ROOT,
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "skipped:" in out.stdout and "Traceback" not in out.stderr
