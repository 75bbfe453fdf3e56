"""`recipec run` recorded in the run store, end to end (compiles iris_mlp's kernels): two
trainings with different --set values listed, shown and compared; a kfold recipe's folds one
row each; checkpoints beside the store and a resume that names the run it resumed."""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

from hostile import RECIPES, accepted, cli

IRIS = RECIPES / "iris_mlp.recipe"


def _rows(out) -> list[list[str]]:
    """The table lines of `recipec runs` (under its title and header), split."""
    return [line.split() for line in out.out.splitlines()[2:]]


def test_two_runs_are_listed_shown_and_compared(tmp_path):
    runs = tmp_path / "runs"
    first = cli("run", IRIS, "--set", "train.epochs=2", "--runs", runs, "--quiet",
                "--report", tmp_path / "a.json")
    accepted(first)
    second = cli("run", IRIS, "--set", "train.epochs=2", "--set", "optimizer.lr=0.002",
                 "--set", "train.batch=32", "--runs", runs, "--quiet")
    accepted(second)
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["run_id"] == 1

    listed = cli("runs", "--runs", runs)
    accepted(listed)
    rows = _rows(listed)
    assert [r[:3] for r in rows] == [["2", "iris_mlp", "finished"], ["1", "iris_mlp",
                                                                     "finished"]]
    val = report["final"]["validation"]["accuracy"]
    assert rows[1][-4:] == ["2", "val", "accuracy", f"{val:.4f}"], listed.out

    shown = cli("runs", "show", "1", "--runs", runs)
    accepted(shown)
    assert "run 1: iris_mlp, finished" in shown.out and "--set train.epochs=2" in shown.out
    epochs = shown.out[shown.out.index("\nepochs\n"):].splitlines()
    assert epochs[2].split()[:4] == ["epoch", "steps", "seconds", "lr"]
    history = report["history"]
    assert [line.split()[0] for line in epochs[3:5]] == ["1", "2"]
    assert epochs[4].split()[-1] == f"{history[1]['validation']['accuracy']:.4f}"
    assert "openblas" in shown.out or "blas" in shown.out

    compared = cli("runs", "compare", "1", "2", "--runs", runs)
    accepted(compared)
    differ = compared.out[compared.out.index("recipe values that differ"):].splitlines()
    assert [line.split() for line in differ[2:]] == [["optimizer.lr", "0.01", "0.002"],
                                                     ["train.batch", "16", "32"]]
    assert f"{val:.4f}" in compared.out


def test_kfold_folds_are_one_row_each_and_each_run_keeps_its_own_checkpoints(tmp_path):
    runs = tmp_path / "runs"
    accepted(cli("run", IRIS, "--set", "train.epochs=1", "--set", "data.validation=kfold(2)",
                 "--runs", runs, "--quiet"))
    rows = _rows(cli("runs", "--runs", runs))
    assert [r[:4] for r in rows] == [["2", "iris_mlp", "[fold", "2/2]"],
                                     ["1", "iris_mlp", "[fold", "1/2]"]]
    assert "fold 2 of 2 (fold 1 is run 1)" in cli("runs", "show", "2", "--runs", runs).out

    ck = ("--set", "train.epochs=2", "--set", "train.checkpoint=1 epochs")
    accepted(cli("run", IRIS, *ck, "--runs", runs, "--quiet"))
    folder = runs / "iris_mlp" / "run-3" / "checkpoints"      # the default: the run's own
    assert sorted(p.name for p in folder.iterdir())
    assert (runs / "iris_mlp" / "run-3" / "model" / "model.json").is_file()
    assert (runs / "iris_mlp" / "run-3" / "report.json").is_file()
    # a later run of the recipe writes into its own folder, so --resume still finds run 3's
    accepted(cli("run", IRIS, "--set", "train.epochs=1", "--runs", runs, "--quiet"))
    accepted(cli("run", IRIS, *ck, "--runs", runs, "--quiet", "--resume"))
    shown = cli("runs", "show", "5", "--runs", runs).out
    assert f"checkpoints   {folder.resolve()}" in shown, shown
    assert "resumed from" in shown and "(written by run 3)" in shown, shown
    by_id = cli("run", IRIS, *ck, "--runs", runs, "--quiet", "--resume", "3")
    # run 3's folder, whose newest checkpoint run 5 wrote when it resumed there
    assert by_id.code == 0 and "(written by run 5)" in cli("runs", "show", "6", "--runs",
                                                            runs).out


def _started(runs, run: int) -> subprocess.Popen:
    """`recipec run` of iris_mlp for far more epochs than the test waits for, in a process
    of its own; returns once the store holds two epochs of its row, `run`."""
    proc = subprocess.Popen([sys.executable, "-m", "recipec", "run", str(IRIS), "--quiet",
                             "--runs", str(runs), "--set", "train.epochs=1000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (runs / "runs.sqlite").exists():
            conn = sqlite3.connect(runs / "runs.sqlite")
            try:
                if conn.execute("SELECT COUNT(*) FROM epochs WHERE run = ?",
                                (run,)).fetchone()[0] >= 2:
                    return proc
            except sqlite3.OperationalError:        # the tables are being made
                pass
            finally:
                conn.close()
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"the run never recorded two epochs: {proc.communicate()}")


def test_a_killed_run_is_lost_an_interrupted_one_interrupted_a_diverged_one_diverged(
        tmp_path):
    runs = tmp_path / "runs"
    killed = _started(runs, 1)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    stopped = _started(runs, 2)
    stopped.send_signal(signal.SIGINT)          # stops at the next chunk boundary
    _, err = stopped.communicate(timeout=120)
    assert stopped.returncode == 130 and "interrupted at step" in err, err
    out = cli("run", IRIS, "--quiet", "--runs", runs, "--set", "optimizer.lr=1e30")
    assert out.code == 2 and "error[T001]" in out.err, out.text
    rows = _rows(cli("runs", "--runs", runs))
    assert [r[:3] for r in rows] == [["3", "iris_mlp", "diverged"],
                                     ["2", "iris_mlp", "interrupted"],
                                     ["1", "iris_mlp", "lost"]]
    conn = sqlite3.connect(runs / "runs.sqlite")
    counts = dict(conn.execute("SELECT run, COUNT(*) FROM epochs GROUP BY run"))
    conn.close()
    assert counts[1] >= 2 and counts[2] >= 2 and 3 not in counts, counts   # epochs recorded
    shown = cli("runs", "show", "1", "--runs", runs).out
    assert "run 1: iris_mlp, lost (its process is gone" in shown
    assert "training diverged: the loss is nan" in cli("runs", "show", "3", "--runs", runs).out
