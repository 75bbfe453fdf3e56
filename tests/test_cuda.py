"""The CUDA target (compiler/lower/cuda/) in Numba's simulator (NUMBA_ENABLE_CUDASIM=1, set by
conftest.py unless a GPU run sets it to 0): each example recipe's first steps give the CPU
target's losses and state within float32 tolerance, the same seed gives the same bits twice,
data and state stay on the device (the transfers are counted), and a machine without a GPU,
a missing package or an op without a CUDA kernel gets a diagnostic, never a traceback.

The simulator runs one Python thread per CUDA thread: batches are a few rows and a chunk a
few steps, so the whole file takes seconds.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
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


# mnist_lenet_caffe and mnist_convnet_keras are not here: one step of their 28x28 convolutions
# takes the simulator minutes (digits_images' 16x16 ones take it 50 s for three steps); the
# small conv recipes below cover their ops (conv2d, maxpool2d) and geometries
RECIPES_IN_SIMULATOR = ["iris_mlp", "digits_mlp", "wine_adamw_cosine", "breast_cancer_bce",
                        "mnist1d_mlp", "mnist1d_logreg", "mnist1d_cnn"]


@pytest.mark.parametrize("name", RECIPES_IN_SIMULATOR)
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


# digits' 8x8 images through each geometry the conv and pool kernels handle: stride 1 and 2,
# `same` padding with an odd and an even kernel (the even one pads (0, 1): asymmetric),
# numeric padding, a stride larger than the kernel (input rows no window reads), overlapping
# max and average windows, 1-D and 2-D; a ReLU before a max-pool gives ties (at 0)
CONV_RECIPES = {
    "conv2d_same_maxpool": """
  input [1, 8, 8]
  conv2d(3, 3, padding = same) relu
  maxpool2d(3, stride = 2)
  conv2d(4, 2, padding = same) relu
  flatten
  dense(10)""",
    "conv2d_stride_avgpool": """
  input [1, 8, 8]
  conv2d(3, 3, stride = 2, padding = 1)
  avgpool2d(2, stride = 1)
  conv2d(4, 2, stride = 3, padding = 1) relu
  maxpool2d(2)
  flatten
  dense(10)""",
    "conv1d_pools": """
  input [4, 16]
  conv1d(3, 4, padding = same) relu
  maxpool1d(3, stride = 2)
  conv1d(4, 3, stride = 2, padding = 1)
  avgpool1d(2)
  flatten
  dense(10)""",
}


@pytest.mark.parametrize("name", CONV_RECIPES)
def test_conv_recipes_match_the_cpu_target(name, tmp_path):
    reshape = "[4, 16]" if "conv1d" in name else "[1, 8, 8]"
    path = tmp_path / f"{name}.recipe"
    path.write_text(f"""recipe {name}
data {{ source = digits  normalize = standard  reshape = {reshape} }}
model {{{CONV_RECIPES[name]}
}}
loss = cross_entropy
optimizer = adam(lr = 0.01)
train {{ epochs = 1  batch = 6  seed = 1 }}
""")
    cpu, cuda = _steps(path, "cpu"), _steps(path, "cuda")
    np.testing.assert_allclose(cuda[0], cpu[0], rtol=1e-5, atol=1e-6)
    assert np.array_equal(cuda[1], cpu[1])
    for tensor, value in cpu[2].items():
        np.testing.assert_allclose(cuda[2][tensor], value, rtol=1e-4, atol=1e-6,
                                   err_msg=tensor)


def test_digits_images_first_step_matches_the_cpu_target(tmp_path):
    """The example convnet on its PNG folder (50 images): one step, the simulator needs
    about 15 s for its 16x16 convolutions."""
    spec = importlib.util.spec_from_file_location("make_digit_images",
                                                  RECIPES / "make_digit_images.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.write_digit_images(tmp_path / "data" / "digit_images", limit=50)
    path = Path(shutil.copy(RECIPES / "digits_images.recipe", tmp_path))
    cpu, cuda = _steps(path, "cpu", steps=1), _steps(path, "cuda", steps=1)
    np.testing.assert_allclose(cuda[0], cpu[0], rtol=1e-5, atol=1e-6)
    for tensor, value in cpu[2].items():
        np.testing.assert_allclose(cuda[2][tensor], value, rtol=1e-4, atol=1e-6,
                                   err_msg=tensor)


def _run_op(op: str, arrays, **attrs):
    """One IR node of `op` on `arrays` as a one-block kernel of its CUDA emitter's phases:
    (what the kernel wrote, the op's numpy reference)."""
    from recipec.compiler.ir import Graph
    from recipec.compiler.lower.cache import load_source
    from recipec.compiler.lower.cuda import layout, module
    from recipec.compiler.ops import get_op
    from recipec.compiler.types import TensorType

    g = Graph()
    ins = [g.input(f"a{k}", TensorType(a.shape, "float32"), "param")
           for k, a in enumerate(arrays)]
    out = g.add(op, *ins, **attrs)
    lay = layout.plan(g)
    ctx = module.EmitContext(g, lay, ())
    body = module.emit_body(g, ctx)
    lines = ["grid = cuda.cg.this_grid()", "tid = cuda.grid(1)", "nth = cuda.gridsize(1)",
             *ctx.declarations(), *body]
    source = (module.HEADER + "\n\n@cuda.jit\ndef one_op(F, I, D, BMAX):\n"
              + "\n".join("    " + ln for ln in lines) + "\n")
    kernel = load_source(source, "cuda", "_op").module.one_op
    arenas = {a: np.zeros(lay.size(a, 0), dtype)
              for a, dtype in (("F", np.float32), ("I", np.int64), ("D", np.float64))}
    for v, a in zip(ins, arrays):
        arena, where = lay.offsets[v.id]
        arenas[arena][where.at(0):where.at(0) + a.size] = a.ravel()
    from recipec.compiler.lower.cuda.device import block_threads
    kernel[1, block_threads()](arenas["F"], arenas["I"], arenas["D"], 0)
    arena, where = lay.offsets[out.id]
    shape = tuple(int(d) for d in out.shape)
    got = arenas[arena][where.at(0):where.at(0) + int(np.prod(shape))].reshape(shape)
    return got, get_op(op).reference(*arrays, **attrs)


# (input shape, weight shape, stride, padding): 2-D valid, asymmetric padding with unequal
# strides, a stride larger than the kernel, 1-D with asymmetric padding, 1-D `same`
CONV_GEOMETRIES = [((2, 3, 6, 5), (4, 3, 3, 3), (1, 1), ((0, 0), (0, 0))),
                   ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), ((1, 2), (0, 1))),
                   ((1, 2, 7, 7), (3, 2, 2, 2), (3, 3), ((1, 0), (0, 0))),
                   ((2, 3, 11), (4, 3, 4), (2,), ((1, 2),)),
                   ((2, 2, 9), (3, 2, 4), (1,), ((1, 2),))]


@pytest.mark.parametrize("xs, ws, stride, padding", CONV_GEOMETRIES)
def test_conv_kernels_are_the_references(xs, ws, stride, padding):
    rng = np.random.default_rng(len(xs) + sum(ws))
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    y, want = _run_op("conv", [x, w], stride=stride, padding=padding)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-6)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    got, want = _run_op("conv_grad_input", [dy, w], stride=stride, padding=padding,
                        in_size=xs[2:])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    got, want = _run_op("conv_grad_weight", [x, dy], stride=stride, padding=padding,
                        kernel=ws[2:])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


# (input shape, size, stride): 2x2 tiles, overlapping 3x3 windows, a stride larger than the
# window on one axis (rows no window covers), 1-D overlapping
POOL_GEOMETRIES = [((2, 3, 6, 6), (2, 2), (2, 2)),
                   ((2, 2, 7, 7), (3, 3), (2, 2)),
                   ((1, 2, 8, 5), (2, 3), (3, 1)),
                   ((2, 3, 11), (3,), (2,))]


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("xs, size, stride", POOL_GEOMETRIES)
def test_pool_kernels_are_the_references(xs, size, stride, ties):
    """With ties (values from {0, 1, 2}) max-pooling's gradient must go to each window's
    first maximum in row-major order, as the reference routes it."""
    rng = np.random.default_rng(len(xs) + sum(size))
    x = (rng.integers(0, 3, xs) if ties else rng.standard_normal(xs)).astype(np.float32)
    for op in ("maxpool", "avgpool"):
        y, want = _run_op(op, [x], size=size, stride=stride)
        np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-6, err_msg=op)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    got, want = _run_op("maxpool_grad", [x, dy], size=size, stride=stride)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    got, want = _run_op("avgpool_grad", [dy], size=size, stride=stride, in_size=xs[2:])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


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
        program.warm_up()        # compiles; pushes the state and the hyperparameters
        executable = program.executable
        before = dict(executable.copies)
        chunks = []
        real = executable.train_chunk
        executable.train_chunk = lambda *a: chunks.append(a[4]) or real(*a)
        program.fit()
        return ({k: executable.copies[k] - before[k] for k in before}, len(chunks),
                sum(chunks))

    for batch, epochs in ((50, 1), (25, 1), (50, 2)):
        copies, chunks, steps = run(batch, epochs)
        assert steps == epochs * 150 // batch
        assert copies == {"to_device": 2 + epochs + chunks,        # X, Y; orders; lrs
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


def test_an_op_without_a_cuda_kernel_is_a_diagnostic(monkeypatch, tmp_path):
    """Every op a recipe can reach has a CUDA kernel now (PENDING holds only an op no step
    graph holds), so the refusal is tested by taking one kernel away."""
    from recipec.compiler.lower.cuda.emitters import EMITTERS

    monkeypatch.delitem(EMITTERS, "maxpool")
    path = tmp_path / "pool.recipe"
    path.write_text("""recipe pool
data { source = digits  reshape = [1, 8, 8] }
model { input [1, 8, 8] maxpool2d(2) flatten dense(10) }
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 1  batch = 8 }
""")
    out = cli("run", path, "--target", "cuda", "--no-store")
    assert out.code == 2, out.err
    assert "error[X003]" in out.err and "'maxpool'" in out.err
    assert "--target cpu" in out.err and "Traceback" not in out.err


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


def test_pruning_masks_hold_on_the_cuda_target(tmp_path):
    """The masks are state like batch norm's statistics (compiler/prune.py): set through
    load_state on the device, the masked weights stay 0 and the steps are the CPU's."""
    from recipec.runtime.prune import set_masks

    path = tmp_path / "pruned.recipe"
    path.write_text(TINY.format(layer="", after="", outputs="3", head="", loss="cross_entropy",
                                optimizer="sgd(lr = 0.1, momentum = 0.9)",
                                extra="prune { sparsity = 0.5 }"))
    results = []
    for target in ("cpu", "cuda"):
        recipe, program = _program(path, target)
        x, y = program._arrays(program.load_data().train)
        set_masks(program, recipe.prune, 0.5)
        losses, _ = program.executable.train_chunk(
            x, y, np.arange(len(x), dtype=np.int64), 0, STEPS, 6, np.full(STEPS, 0.1, np.float32))
        state = {k: np.array(v, copy=True) for k, v in program.executable.state().items()}
        for weight in recipe.prune.weights:
            mask = state[f"{weight}:mask"]
            assert mask.sum() == mask.size // 2
            assert not state[weight][mask == 0].any()
            assert not state[f"{weight}:velocity"][mask == 0].any()
        results.append((losses, state))
    (cpu_losses, cpu), (cuda_losses, cuda) = results
    np.testing.assert_allclose(cuda_losses, cpu_losses, rtol=1e-5, atol=1e-6)
    for tensor, value in cpu.items():
        np.testing.assert_allclose(cuda[tensor], value, rtol=1e-4, atol=1e-6, err_msg=tensor)


# (A shape, B shape, trans_a, trans_b): sizes that are not multiples of the tiles (the
# simulator's are 4 x 8 with 32 contraction steps), a contraction shorter than one step,
# each transposition the backward pass asks for
MATMUL_SHAPES = [((5, 37), (37, 9), False, False), ((37, 6), (37, 11), True, False),
                 ((7, 40), (10, 40), False, True), ((3, 70), (70, 17), False, False)]


@pytest.mark.parametrize("ashape, bshape, ta, tb", MATMUL_SHAPES)
def test_tiled_and_plain_products_give_the_same_bits(ashape, bshape, ta, tb, monkeypatch):
    rng = np.random.default_rng(sum(ashape) + sum(bshape))
    a = rng.standard_normal(ashape).astype(np.float32)
    b = rng.standard_normal(bshape).astype(np.float32)
    got = {}
    for choice in ("plain", "tiled"):
        monkeypatch.setenv("RECIPEC_CUDA_MATMUL", choice)
        got[choice], want = _run_op("matmul", [a, b], trans_a=ta, trans_b=tb)
    np.testing.assert_allclose(got["tiled"], want, rtol=1e-5, atol=1e-5)
    assert np.array_equal(got["tiled"], got["plain"])


def test_a_weight_gradient_contracts_over_the_batch_in_tiles(monkeypatch):
    """dW = X^T dY: the contraction is the batch, known only at run time; tiled and plain
    agree bit for bit through a recipe's first steps."""
    from recipec.compiler.lower.cuda.emitters.linalg import matmul_choice

    assert matmul_choice("B") == "tiled" and matmul_choice("10") == "plain"
    path = RECIPES / "digits_mlp.recipe"
    runs = {}
    for choice in ("plain", "tiled"):
        monkeypatch.setenv("RECIPEC_CUDA_MATMUL", choice)
        runs[choice] = _steps(path, "cuda")
    assert np.array_equal(runs["plain"][0], runs["tiled"][0])
    for tensor, value in runs["plain"][2].items():
        assert np.array_equal(runs["tiled"][2][tensor], value), tensor
