"""Run-time hyperparameters: a `--set` that changes only numbers compiles nothing.

Each recipe trains a few steps, then trains again in the same process with `--set` changes to
every kind of run-time value: optimizer options, a layer's lr_mult / decay_mult, a dropout
rate, batch-norm momentum and eps, leaky_relu's alpha and each augmentation magnitude. The
second run must compile nothing (Numba runs no compiler pass, no kernel is loaded, and the
kernel module is the first run's own object) and its weights must be bitwise equal to those
of a fresh process that generates and compiles the recipe with those values from an empty
kernel cache. The CLI test checks the start-up figure the issue asks for (< 1 s).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import recipec
from recipec.compiler.lower.cpu import machine_code
from recipec.compiler.step import build_step_graphs

pytestmark = pytest.mark.cpu

DENSE = """
data { source = digits() normalize = standard }
model {
  input [64]
  dense(32) batchnorm(momentum = 0.9) leaky_relu(0.1)
  dropout(0.2)
  dense(10)
}
loss = cross_entropy
optimizer = sgd(lr = 0.05, momentum = 0.9, weight_decay = 1e-4)
train { steps = 12 batch = 32 seed = 0 }
"""
DENSE_SET = ["optimizer.momentum=0.5", "optimizer.weight_decay=1e-3",
             "model.dropout_1.rate=0.3", "model.batchnorm_1.momentum=0.8",
             "model.batchnorm_1.eps=1e-3", "model.leaky_relu_1.alpha=0.05",
             "model.dense_1.lr_mult=2", "model.dense_2.bias_decay_mult=0.5"]

CONV = """
data { source = digits() normalize = standard reshape = [1, 8, 8]
       augment = [shift(1), rotate(10), noise(0.1)] }
model {
  input [1, 8, 8]
  conv2d(4, 3, padding = same) relu
  maxpool2d(2)
  flatten
  dense(10)
}
loss = cross_entropy
optimizer = adam(lr = 0.01)
train { steps = 6 batch = 16 seed = 0 }
"""
CONV_SET = ["data.augment.shift_1.pixels=2", "data.augment.rotate_1.degrees=5",
            "data.augment.noise_1.std=0.2", "optimizer.beta1=0.8", "optimizer.beta2=0.99",
            "optimizer.eps=1e-6", "model.conv2d_1.bias_lr_mult=3"]

# l1/l2 (a layer's own and regularize { }'s), the clip norm and a layer's max_norm
REG = """
data { source = digits() normalize = standard }
model { input [64] dense(16, l2 = 1e-3, max_norm = 2) relu dense(10) }
regularize { l1 = 1e-4 }
clip = norm(1.0)
loss = cross_entropy
optimizer = sgd(lr = 0.05, momentum = 0.9)
train { steps = 8 batch = 32 seed = 0 }
"""
REG_SET = ["model.dense_1.l2=1e-2", "model.dense_1.l1=1e-3", "regularize.l1=1e-3",
           "clip.max_norm=0.5", "model.dense_1.max_norm=1.5"]

# the loss's options: cross_entropy's smoothing and class weights
LOSS = """
data { source = digits() normalize = standard }
model { input [64] dense(16) relu dense(10) }
loss = cross_entropy(label_smoothing = 0.1, class_weights = [1, 2, 1, 1, 3, 1, 1, 0.5, 1, 1])
optimizer = sgd(lr = 0.05)
train { steps = 8 batch = 32 seed = 0 }
"""
LOSS_SET = ["loss.label_smoothing=0.3", "loss.class_weights=[1, 2, 1, 1, 0.25, 1, 1, 0.5, 1, 1]"]

RECIPES = {"dense": (DENSE, DENSE_SET), "conv": (CONV, CONV_SET), "reg": (REG, REG_SET),
           "loss": (LOSS, LOSS_SET)}

# Trains each recipe given on stdin ({name: [text, overrides]}) and prints, as JSON, the
# sha256 of every state tensor and whether train_chunk came from the machine-code cache.
FRESH = """
import hashlib, json, sys
import numpy as np
import recipec

out = {}
for name, (text, overrides) in json.load(sys.stdin).items():
    program = recipec.compile(recipec.loads(text, name + ".recipe", overrides))
    program.fit()
    state = program.executable.state()
    out[name] = {"state": {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
                           for k, v in state.items()},
                 "train_chunk_from_cache": program.executable.from_cache["train_chunk"]}
print(json.dumps(out))
"""


def _hashes(program) -> dict[str, str]:
    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
            for k, v in program.executable.state().items()}


def _train(name: str, overrides=()):
    text, _ = RECIPES[name]
    program = recipec.compile(recipec.loads(text, f"{name}.recipe", overrides))
    program.fit()
    return program


@contextlib.contextmanager
def _watch_compiles(monkeypatch):
    """Counts Numba's compiler passes and LLVM sessions (any compile runs both) and every
    kernel or library entry point loaded or compiled (machine_code.address)."""
    from numba.core import event

    seen = {"address": 0}
    original = machine_code.address

    def counting(*args, **kw):
        seen["address"] += 1
        return original(*args, **kw)

    monkeypatch.setattr(machine_code, "address", counting)
    with event.install_recorder("numba:run_pass") as passes, \
            event.install_recorder("numba:llvm_lock") as llvm:
        yield seen
    seen["passes"], seen["llvm"] = len(passes.buffer), len(llvm.buffer)


def _fresh_cache(tmp_path: Path, program) -> Path:
    """An empty kernel cache but for the shared helper library (which holds no recipe values:
    its kernels take every option as an argument), so the fresh process generates and
    compiles the recipe's own kernels from nothing without recompiling the whole library."""
    root = tmp_path / "fresh"
    kernels = root / "kernels"
    (kernels / "machine_code").mkdir(parents=True)
    library = program.executable.library.path
    shutil.copy(library, kernels / library.name)
    for f in (library.parent / "machine_code").glob(f"{library.stem}.*"):
        shutil.copy(f, kernels / "machine_code" / f.name)
    return root


def test_changed_values_compile_nothing_and_match_a_fresh_compile(tmp_path, monkeypatch):
    first = {name: _train(name) for name in RECIPES}
    second = {}
    for name, (_, overrides) in RECIPES.items():
        with _watch_compiles(monkeypatch) as seen:
            second[name] = _train(name, overrides)
        assert seen == {"address": 0, "passes": 0, "llvm": 0}, f"{name} compiled: {seen}"
        a, b = first[name].executable, second[name].executable
        assert b.kernels.path == a.kernels.path and b.kernels.source == a.kernels.source
        assert b.module is a.module                     # the very module, already loaded
        # the overrides did reach the step: other values, other weights
        assert list(b.hypers) != list(a.hypers)
        assert _hashes(second[name]) != _hashes(first[name])

    job = {name: [RECIPES[name][0], RECIPES[name][1]] for name in RECIPES}
    env = {**os.environ, "RECIPEC_CACHE_DIR": str(_fresh_cache(tmp_path, first["dense"]))}
    proc = subprocess.run([sys.executable, "-c", FRESH], input=json.dumps(job), env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fresh = json.loads(proc.stdout)
    for name in RECIPES:
        assert fresh[name]["train_chunk_from_cache"] is False, "the fresh run did not compile"
        assert fresh[name]["state"] == _hashes(second[name]), name


def test_shape_changes_through_set_compile_a_new_module(monkeypatch):
    """The same path takes structure too (units here): that is a different module, loaded or
    compiled, never the one already imported. Also what shows the watch above can fail."""
    first = _train("dense")
    with _watch_compiles(monkeypatch) as seen:
        wider = _train("dense", ["model.dense_1.units=24"])
    assert wider.executable.kernels.path != first.executable.kernels.path
    assert seen["address"] >= 2                         # train_chunk and predict_chunk
    assert wider.state.params[0].shape == (64, 24)


def test_every_run_time_value_is_a_hyper_input_named_by_its_set_path():
    names = {h.name for name in RECIPES
             for h in build_step_graphs(recipec.loads(RECIPES[name][0], "r.recipe")).hypers}
    for name, (_, overrides) in RECIPES.items():
        for o in overrides:
            path = o.partition("=")[0]     # a list's elements are inputs `<path>.<index>`
            assert path in names or f"{path}.0" in names, o
    assert "optimizer.lr" not in names                  # the schedule's per-step input


CLI_RECIPE = """
data { source = digits() normalize = standard }
model { input [64] dense(24) relu dropout(0.2) dense(10) }
loss = cross_entropy
optimizer = sgd(lr = 0.05, momentum = 0.9)
train { steps = 4 batch = 32 seed = 0 }
"""


def _run_cli(path: Path, *sets: str) -> float:
    args = [a for s in sets for a in ("--set", s)]
    proc = subprocess.run([sys.executable, "-m", "recipec", "run", str(path), *args],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = re.search(r"kernels ready in ([0-9.]+) s", proc.stderr)
    assert found, proc.stderr
    return float(found.group(1))


def test_cli_set_of_run_time_values_starts_in_under_a_second(tmp_path):
    path = tmp_path / "hypers_cli.recipe"
    path.write_text(CLI_RECIPE)
    _run_cli(path)                                      # compiled (or loaded) once
    seconds = _run_cli(path, "optimizer.momentum=0.5", "optimizer.weight_decay=1e-4",
                       "model.dropout_1.rate=0.3")
    assert seconds < 1.0, f"kernels ready in {seconds} s"
