"""Checkpoints (runtime/checkpoint.py): a training killed with SIGKILL at several moments,
mid-epoch included, and resumed each time ends bitwise where an uninterrupted run ends;
damaged, foreign or missing checkpoints are named errors; a changed recipe is refused."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hostile import cli, write

from recipec.runtime import checkpoint

RECIPE = """
data { source = digits  normalize = standard  validation = 0.2 }
model { input [64] dense(32) relu dropout(0.2) dense(10) }
loss = cross_entropy
optimizer = adam(lr = 1e-3)
schedule = warmup(3 epochs, then = cosine())
train { epochs = 120  batch = 32  checkpoint = 37 steps  keep = 2 }
early_stop { monitor = val_loss  patience = 200 }
metrics = [accuracy]
"""


# a small convnet with batch norm, augmentation and momentum SGD over digits as 8x8 images
CNN = """
data { source = digits  reshape = [1, 8, 8]  normalize = standard  validation = 0.2
       augment = [shift(1), flip()] }
model { input [1, 8, 8] conv2d(4, 3, padding = same) batchnorm relu maxpool2d(2)
        flatten dense(10) }
loss = cross_entropy
optimizer = sgd(lr = 0.05, momentum = 0.9)
train { epochs = 40  batch = 32  checkpoint = 29 steps  keep = 2 }
"""


def start(folder: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "recipec", "run", str(folder / "r.recipe"),
                             "--quiet", "--checkpoints", str(folder / "ck"), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def newest_step(folder: Path) -> int:
    found = checkpoint.checkpoints(folder)
    return int(checkpoint.NAME.match(found[0].name)[1]) if found else -1


@pytest.mark.cpu
@pytest.mark.parametrize("text, total", [(RECIPE, 5400), (CNN, 1800)], ids=["mlp", "cnn"])
def test_killed_and_resumed_runs_end_bitwise_like_an_uninterrupted_one(tmp_path, text, total):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    for folder in (whole, broken):
        write(folder, "r.recipe", text)
    done = start(whole)
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    kills = 0
    proc = start(broken)
    for share in (0.05, 0.3, 0.5, 0.75):           # 45 steps an epoch
        while proc.poll() is None and newest_step(broken / "ck") < share * total:
            time.sleep(0.002)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        proc = start(broken, "--resume")
    last_out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert kills >= 2, "the training ended before it could be killed: make it longer"
    a, meta_a = checkpoint.read(checkpoint.find(whole / "ck"))
    b, meta_b = checkpoint.read(checkpoint.find(broken / "ck"))
    assert meta_a["counters"] == meta_b["counters"] and meta_a["counters"]["step"] == total
    assert set(a) == set(b)
    for name in a:       # parameters, slots, batch-norm statistics, early stop's best copy
        assert np.array_equal(a[name], b[name]), name
    assert meta_a["early_stop"] == meta_b["early_stop"]
    assert meta_a["best"] == meta_b["best"]
    # keep_best = auto: val_loss; its best epoch's state, written after the kills too
    best_a, best_meta_a = checkpoint.read(whole / "ck" / checkpoint.BEST)
    best_b, best_meta_b = checkpoint.read(broken / "ck" / checkpoint.BEST)
    assert best_meta_a["counters"] == best_meta_b["counters"]
    assert best_meta_a["best"]["monitor"] == "val_loss"
    assert all(np.array_equal(best_a[k], best_b[k]) for k in best_a)
    assert last_out.splitlines()[-2:] == out.splitlines()[-2:]      # the final metrics


@pytest.mark.cpu
def test_sigterm_writes_a_checkpoint_and_stops(tmp_path):
    write(tmp_path, "r.recipe", RECIPE.replace("checkpoint = 37 steps", "checkpoint = 500 steps")
          .replace("epochs = 120", "epochs = 2000"))
    proc = start(tmp_path)
    while proc.poll() is None and newest_step(tmp_path / "ck") < 0:   # training has begun
        time.sleep(0.005)
    first = newest_step(tmp_path / "ck")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted at step" in err and "--resume" in err
    stopped = newest_step(tmp_path / "ck")
    assert stopped > first and f"step {stopped};" in err


def test_damaged_and_foreign_checkpoints_are_named(tmp_path):
    bad = tmp_path / "step-000000000010.safetensors"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(checkpoint.CheckpointError) as err:
        checkpoint.read(bad)
    assert err.value.code == "C002" and str(bad) in err.value.message
    from safetensors.numpy import save_file
    save_file({"w": np.zeros(3, np.float32)}, str(bad))          # another program's file
    with pytest.raises(checkpoint.CheckpointError) as err:
        checkpoint.read(bad)
    assert err.value.code == "C002"
    with pytest.raises(checkpoint.CheckpointError) as err:
        checkpoint.find(tmp_path / "empty")
    assert err.value.code == "C001"


@pytest.mark.cpu
def test_resume_refuses_another_recipe_and_a_truncated_file(tmp_path):
    write(tmp_path, "r.recipe", RECIPE.replace("epochs = 120", "epochs = 5"))
    assert cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
               str(tmp_path / "ck")).code == 0
    good = checkpoint.find(tmp_path / "ck")
    out = cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
              str(tmp_path / "ck"), "--resume", "--set", "optimizer.lr=0.01")
    assert out.code == 2 and "C003" in out.err and "optimizer.lr=0.01" in out.err
    assert "--force" in out.err
    forced = cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
                 str(tmp_path / "ck"), "--resume", "--set", "optimizer.lr=0.01", "--force")
    assert forced.code == 0, forced.err
    blob = good.read_bytes()
    truncated = tmp_path / "ck" / "step-000000999999.safetensors"
    truncated.write_bytes(blob[: len(blob) // 2])
    out = cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
              str(tmp_path / "ck"), "--resume")
    assert out.code == 2 and "C002" in out.err and str(truncated) in out.err
    assert "Traceback" not in out.err
    assert good.read_bytes() == blob or not good.exists()      # never rewritten in place


@pytest.mark.cpu
def test_a_diverged_run_names_its_last_good_checkpoint_which_resumes(tmp_path):
    write(tmp_path, "d.recipe", """
        data { source = digits  normalize = standard }
        model { input [64] dense(32) relu dense(10) }
        loss = cross_entropy
        optimizer = sgd(lr = 1000)
        schedule = warmup(3000 steps)
        train { epochs = 100  batch = 32  checkpoint = 5 steps }
    """)
    args = ("run", str(tmp_path / "d.recipe"), "--quiet", "--checkpoints", str(tmp_path / "ck"))
    out = cli(*args)
    assert out.code == 2 and "T001" in out.err
    good = checkpoint.find(tmp_path / "ck")
    assert f"the last good checkpoint is {good}" in out.err
    tensors, meta = checkpoint.read(good)          # whole, and finite: written before it
    assert all(np.isfinite(t).all() for t in tensors.values())
    lowered = cli(*args, "--resume", str(good), "--set", "optimizer.lr=0.01", "--force")
    assert lowered.code == 0, lowered.err


@pytest.mark.cpu
def test_an_unwritable_checkpoint_folder_and_a_changed_layer_are_diagnostics(tmp_path):
    write(tmp_path, "r.recipe", RECIPE.replace("epochs = 120", "epochs = 5"))
    (tmp_path / "file").write_text("")
    out = cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
              str(tmp_path / "file" / "ck"))
    assert out.code == 2 and "C004" in out.err and "Traceback" not in out.err
    assert cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
               str(tmp_path / "ck")).code == 0
    out = cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
              str(tmp_path / "ck"), "--resume", "--force", "--set", "model.dense_1.units=16")
    assert out.code == 2 and "C003" in out.err and "this model's is float32 [" in out.err


@pytest.mark.cpu
def test_the_best_epoch_is_kept_beside_the_newest_and_resumes(tmp_path):
    write(tmp_path, "r.recipe", RECIPE.replace("epochs = 120", "epochs = 8")
          .replace("keep = 2", "keep = 1  keep_best = val_accuracy"))
    report = tmp_path / "out.json"
    out = cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
              str(tmp_path / "ck"), "--report", str(report))
    assert out.code == 0, out.err
    history = json.loads(report.read_text())["history"]
    values = [r["validation"]["accuracy"] for r in history]
    best_epoch = history[values.index(max(values))]["epoch"]      # the first of equal bests
    tensors, meta = checkpoint.read(tmp_path / "ck" / checkpoint.BEST)
    assert meta["best"] == {"monitor": "val_accuracy", "value": max(values),
                            "epoch": best_epoch}
    assert meta["counters"]["step"] == best_epoch * 45 and not meta["finished"]   # 45 an epoch
    assert len(checkpoint.checkpoints(tmp_path / "ck")) == 1       # keep = 1, best aside
    resumed = cli("run", str(tmp_path / "r.recipe"), "--quiet", "--checkpoints",
                  str(tmp_path / "ck2"), "--resume", str(tmp_path / "ck" / checkpoint.BEST))
    assert resumed.code == 0, resumed.err
