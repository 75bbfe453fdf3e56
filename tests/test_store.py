"""The run store alone (runtime/store/), no kernel: its schema, a run written and read back,
several processes writing one store at once, damaged, foreign and newer files refused and left
as they were, a killed run shown as lost, the recorder's statuses, and `recipec runs`, `runs
show` and `runs compare` over a store filled through the API."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from argparse import Namespace
from types import SimpleNamespace

import pytest

from hostile import cli, no_traceback, write
from recipec.runtime.errors import StoreError, TrainingDiverged
from recipec.runtime.store import write as w
from recipec.runtime.store.db import FILE, Store
from recipec.runtime.store.read import epochs_of, get_run, list_runs
from recipec.runtime.store.recorder import Recorder

RECIPE = """recipe tiny
data { source = iris()  validation = 0.25 }
model { input [4]  dense(8) relu  dense(3) }
loss = cross_entropy
optimizer = adam(lr = 0.01)
train { epochs = 2  batch = 16  seed = 0 }
metrics = [accuracy]
"""


def _epoch(n, loss=0.5, acc=0.8, val=0.7, lr=0.01, penalty=None):
    return SimpleNamespace(epoch=n, train={"loss": loss, "accuracy": acc},
                           validation={"loss": loss + 0.1, "accuracy": val}, seconds=0.01 * n,
                           steps=7, lr=lr, penalty=penalty)


def _run(store, recipe="tiny", text=RECIPE, overrides=(), pid=None, **extra) -> int:
    return w.open_run(store, recipe=recipe, path=f"{recipe}.recipe", text=text, hash="h" * 64,
                      overrides=list(overrides), metric="accuracy",
                      environment={"python": "3"}, host=extra.pop("host", os.uname().nodename),
                      pid=os.getpid() if pid is None else pid, **extra)


def _filled(folder, runs=2, epochs=3):
    """A store of `runs` finished runs of RECIPE, the i-th with optimizer.lr overridden."""
    store = Store.open(folder, create=True)
    ids = []
    for i in range(runs):
        overrides = [f"optimizer.lr=0.0{i + 1}"]
        run = _run(store, overrides=overrides)
        for e in range(1, epochs + 1):
            w.add_epoch(store, run, _epoch(e, loss=1.0 / e, val=0.5 + 0.1 * i))
        w.close_run(store, run, "finished",
                    final={"validation": {"loss": 0.3, "accuracy": 0.5 + 0.1 * i},
                           "train": {"loss": 0.2, "accuracy": 0.9}},
                    timings={"train_seconds": 1.5, "steps": 21, "steps_per_second": 14.0})
        ids.append(run)
    store.close()
    return ids


# -- the file -------------------------------------------------------------------------------
def test_a_new_store_is_versioned_and_in_wal_mode(tmp_path):
    store = Store.open(tmp_path / "runs", create=True)
    assert Store.open(tmp_path / "elsewhere", create=False) is None     # reading makes none
    assert not (tmp_path / "elsewhere").exists()
    meta = dict(store.conn.execute("SELECT key, value FROM meta"))
    assert meta == {"format": "recipec-runs", "schema": "2"}
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master "
                                               "WHERE type = 'table'")}
    assert {"meta", "runs", "epochs", "metrics"} <= tables
    with pytest.raises(sqlite3.IntegrityError):        # the status is one of five
        store.conn.execute("INSERT INTO runs (recipe, text, hash, overrides, environment, "
                           "host, pid, status, started) VALUES "
                           "('x', '', '', '[]', '{}', 'h', 1, 'sleeping', 0)")
    store.close()


def test_a_run_and_its_epochs_round_trip(tmp_path):
    store = Store.open(tmp_path, create=True)
    run = _run(store, overrides=["train.epochs=2"], fold=2, folds=5, kfold_first=1)
    w.add_epoch(store, run, _epoch(1, penalty=0.25))
    w.add_epoch(store, run, _epoch(2, loss=float("nan"), lr=None))
    w.set_fields(store, run, checkpoints="/tmp/ck")
    w.close_run(store, run, "diverged", error="training diverged: the loss is nan",
                final={"validation": {"accuracy": float("inf")}})
    row = get_run(store, run)
    assert (row["status"], row["shown"], row["overrides"], row["fold"], row["folds"]) == \
        ("diverged", "diverged", ["train.epochs=2"], 2, 5)
    assert row["final"] == {"validation": {"accuracy": None}}     # JSON has no inf
    assert row["checkpoints"] == "/tmp/ck" and row["error"].startswith("training diverged")
    assert row["ended"] >= row["started"] and row["epochs"] == 2
    first, second = epochs_of(store, run)
    assert first == {"epoch": 1, "steps": 7, "seconds": 0.01, "lr": 0.01, "penalty": 0.25,
                     "train": {"loss": 0.5, "accuracy": 0.8},
                     "validation": {"loss": 0.6, "accuracy": 0.7}}
    assert second["train"]["loss"] is None and second["lr"] is None
    # an epoch two fits share (a prune phase finishing the training's last epoch) is one
    # row: the steps and seconds summed, the later record's metrics (the whole epoch's)
    w.add_epoch(store, run, _epoch(2))
    _, merged = epochs_of(store, run)
    assert merged["steps"] == 14 and merged["seconds"] == pytest.approx(0.04)
    assert merged["train"] == {"loss": 0.5, "accuracy": 0.8} and merged["lr"] == 0.01
    store.close()


WRITER = """
import sys, types
from recipec.runtime.store import write as w
from recipec.runtime.store.db import Store
import os, time
folder, worker, runs, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
while not os.path.exists(folder + ".go"):      # all four start together
    time.sleep(0.005)
store = Store.open(folder, create=True)        # its own connection, made at the same moment
for r in range(runs):
    run = w.open_run(store, recipe=f"w{worker}", path=None, text=str(r), hash="h",
                     overrides=[], metric="accuracy", environment={}, host="h", pid=1)
    for e in range(1, epochs + 1):
        w.add_epoch(store, run, types.SimpleNamespace(
            epoch=e, train={"loss": r + e / 100, "accuracy": 0.5}, validation=None,
            seconds=0.0, steps=1, lr=0.1, penalty=None))
    w.close_run(store, run, "finished", final={"train": {"loss": float(r)}})
store.close()
"""


def test_concurrent_writers_lose_nothing_and_corrupt_nothing(tmp_path):
    workers, runs, epochs = 4, 50, 20
    folder = tmp_path / "runs"            # none yet: the four race to create it too
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(folder), str(i), str(runs),
                               str(epochs)], stderr=subprocess.PIPE, text=True)
             for i in range(workers)]
    (tmp_path / "runs.go").touch()
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    conn = sqlite3.connect(folder / FILE)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM runs").fetchone() == \
        (workers * runs, workers * runs)
    per_worker = dict(conn.execute("SELECT recipe, COUNT(*) FROM runs WHERE status = "
                                   "'finished' GROUP BY recipe"))
    assert per_worker == {f"w{i}": runs for i in range(workers)}
    assert conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == workers * runs * epochs
    order = [r for (r,) in conn.execute("SELECT recipe FROM runs ORDER BY id")]
    switches = sum(a != b for a, b in zip(order, order[1:]))
    assert switches >= workers, f"the writers did not overlap: {switches} switches"
    assert conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == \
        workers * runs * epochs * 2
    # every run holds its own epochs 1..20, with its own values
    bad = conn.execute("SELECT r.id FROM runs r JOIN metrics m ON m.run = r.id WHERE "
                       "m.metric = 'loss' AND abs(m.value - (CAST(r.text AS REAL) + "
                       "m.epoch / 100.0)) > 1e-9").fetchall()
    assert bad == []
    conn.close()


def _refused(out, code, mentions=()):
    assert out.code == 2, out.text
    no_traceback(out)
    assert f"error[{code}]" in out.err, out.err
    for text in mentions:
        assert text in out.err, out.err
    assert not out.trained, out.text


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign", "newer", "format"])
def test_a_damaged_foreign_or_newer_store_is_refused_and_left_as_it_was(tmp_path, damage):
    folder = tmp_path / "runs"
    path = folder / FILE
    if damage == "garbage":
        write(folder, FILE, b"this is not a database\n" * 200)
    elif damage in ("truncated", "newer", "format"):
        _filled(folder, runs=30, epochs=20)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")      # everything in the main file
        conn.execute("PRAGMA journal_mode = DELETE")
        if damage != "truncated":
            conn.execute("UPDATE meta SET value = ? WHERE key = ?",
                         ("99", "schema") if damage == "newer" else ("mlflow", "format"))
            conn.commit()
        conn.close()
        if damage == "truncated":
            data = path.read_bytes()
            path.write_bytes(data[:len(data) // 2])
    else:
        folder.mkdir()
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE experiments (id INTEGER)")
        conn.commit()
        conn.close()
    before = path.read_bytes()
    code = "R003" if damage == "newer" else "R002"
    for args in (["runs"], ["runs", "show", "1"], ["runs", "compare", "1", "2"],
                 ["run", write(tmp_path, "t.recipe", RECIPE), "--quiet"]):
        _refused(cli(*args, "--runs", folder), code, mentions=(str(path),))
    assert path.read_bytes() == before


def test_an_unwritable_runs_folder_stops_the_run_before_the_data(tmp_path):
    blocker = write(tmp_path, "file", "a file where the runs folder should be")
    out = cli("run", write(tmp_path, "t.recipe", RECIPE), "--quiet", "--runs", blocker)
    _refused(out, "R001", mentions=(str(blocker),))
    assert "samples read" not in out.text


# -- lost runs ------------------------------------------------------------------------------
def test_a_running_row_whose_process_is_gone_is_shown_lost(tmp_path):
    from recipec.runtime.store.liveness import process_start

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store = Store.open(tmp_path, create=True)
    alive = _run(store, pid_start=process_start(os.getpid()))
    lost = _run(store, pid=dead.pid)
    reused = _run(store, pid_start="1")        # this pid, but another process's start time
    elsewhere = _run(store, pid=dead.pid, host="another-machine")
    shown = {r["id"]: r["shown"] for r in list_runs(store)}
    assert shown == {alive: "running", lost: "lost", reused: "lost", elsewhere: "running"}
    assert [r["id"] for r in list_runs(store, status="lost")] == [reused, lost]
    assert [r["id"] for r in list_runs(store, status="running")] == [elsewhere, alive]
    assert get_run(store, lost)["status"] == "running"      # shown lost, never rewritten
    store.close()
    out = cli("runs", "--runs", tmp_path)
    assert out.code == 0 and out.out.count(" lost ") == 2, out.text


# -- the recorder ---------------------------------------------------------------------------
def _args(folder, **extra):
    return Namespace(**{"runs": str(folder), "set": ["train.epochs=2"], "no_store": False,
                        **extra})


def _recipe():
    import recipec
    return recipec.loads(RECIPE, "tiny.recipe", ["train.epochs=2"])


@pytest.mark.parametrize("error, status", [
    (SystemExit(130), "interrupted"), (KeyboardInterrupt(), "interrupted"),
    (TrainingDiverged(1, 3, 7, 3, float("nan")), "diverged"),
    (ValueError("a bug"), "failed"), (SystemExit(1), "failed")])
def test_the_recorder_closes_a_run_by_how_it_ended(tmp_path, error, status):
    with pytest.raises(type(error)):
        with Recorder.open(_recipe(), _args(tmp_path)) as record:
            progress = record.progress(None)
            progress.start(None, 2, 7)
            progress.epoch_end(_epoch(1))
            raise error
    [row] = list_runs(Store.open(tmp_path, create=False))
    assert (row["status"], row["epochs"], row["metric"], row["overrides"]) == \
        (status, 1, "accuracy", ["train.epochs=2"])
    assert row["ended"] is not None and row["environment"]["pid"] == os.getpid()
    assert (row["error"] is None) == (status == "interrupted")
    if status == "diverged":
        assert "training diverged" in row["error"]


def test_the_recorder_finishes_records_nothing_with_no_store_and_survives_a_lost_store(
        tmp_path, capsys, monkeypatch):
    with Recorder.open(_recipe(), _args(tmp_path)) as record:
        record.epoch(_epoch(1))
        report = record.finish({"final": {"train": {"loss": 0.1}}, "timings": {"steps": 7},
                                "model": {"path": "runs/tiny/model"}})
    row = get_run(Store.open(tmp_path, create=False), record.id)
    assert (row["status"], row["final"], row["model"]) == \
        ("finished", {"train": {"loss": 0.1}}, "runs/tiny/model")
    assert report["final"] == row["final"]

    with Recorder.open(_recipe(), _args(tmp_path / "none", no_store=True)) as record:
        assert record.id is None and record.progress("line") == "line"
    assert not (tmp_path / "none").exists()

    from recipec.runtime.store import db
    monkeypatch.setattr(db, "BUSY_SECONDS", 0.2)
    with Recorder.open(_recipe(), _args(tmp_path)) as record:
        other = sqlite3.connect(tmp_path / FILE, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")       # another process holds the store past the wait
        record.epoch(_epoch(1))                # a warning, not an exception
        record.epoch(_epoch(2))
        record.finish({"final": {}})
        other.execute("ROLLBACK")
    err = capsys.readouterr().err
    assert err.count("is no longer recorded") == 1 and "locked" in err, err


# -- the commands ---------------------------------------------------------------------------
def test_runs_lists_newest_first_with_the_main_metric_and_filters(tmp_path):
    first, second = _filled(tmp_path)
    store = Store.open(tmp_path, create=True)
    other = _run(store, recipe="other")
    w.add_epoch(store, other, _epoch(1, val=0.25))
    store.close()
    out = cli("runs", "--runs", tmp_path)
    assert out.code == 0, out.text
    lines = out.out.splitlines()
    assert lines[1].split()[:3] == ["id", "recipe", "status"]
    assert [line.split()[0] for line in lines[2:]] == [str(other), str(second), str(first)]
    assert "val accuracy 0.6000" in lines[3] and "val accuracy 0.5000" in lines[4]
    assert "val accuracy (epoch 1) 0.2500" in lines[2]         # not finished: its last epoch
    assert lines[4].split()[7] == "3"          # id recipe status date time duration s epochs
    only = cli("runs", "--runs", tmp_path, "--recipe", "tiny", "-n", "1")
    assert [line.split()[0] for line in only.out.splitlines()[2:]] == [str(second)]
    finished = cli("runs", "--runs", tmp_path, "--status", "finished")
    assert str(other) not in [line.split()[0] for line in finished.out.splitlines()[2:]]
    assert "no runs" in cli("runs", "--runs", tmp_path, "--status", "failed").out
    assert cli("runs", "--runs", tmp_path, "-n", "0").code == 2
    empty = cli("runs", "--runs", tmp_path / "nothing")
    assert empty.code == 0 and "no runs recorded" in empty.out
    assert not (tmp_path / "nothing").exists()


def test_runs_show_prints_everything_recorded(tmp_path):
    first, second = _filled(tmp_path)
    out = cli("runs", "show", str(first), "--runs", tmp_path)
    assert out.code == 0, out.text
    assert f"run {first}: tiny, finished" in out.out
    assert "--set optimizer.lr=0.01" in out.out and "train 1.50 s" in out.out
    epochs = out.out[out.out.index("\nepochs\n"):].splitlines()
    assert epochs[2].split() == ["epoch", "steps", "seconds", "lr", "loss", "accuracy",
                                 "val_loss", "val_accuracy"]
    assert epochs[3].split() == ["1", "7", "0.010", "0.01", "1.0000", "0.8000", "1.1000",
                                 "0.5000"]
    assert "validation accuracy" in out.out and "recipe tiny" in out.out   # final, text
    store = Store.open(tmp_path, create=True)
    for run in (first, second):
        w.close_run(store, run, "finished", model="runs/tiny/model")
    store.close()
    out = cli("runs", "show", str(first), "--runs", tmp_path)
    assert f"runs/tiny/model (since replaced by run {second}'s)" in out.out, out.out
    assert "since replaced" not in cli("runs", "show", str(second), "--runs", tmp_path).out


def test_runs_compare_shows_final_metrics_and_the_recipe_values_that_differ(tmp_path):
    first, second = _filled(tmp_path)
    out = cli("runs", "--runs", tmp_path, "compare", str(first), str(second))
    assert out.code == 0, out.text
    assert any(line.split() == ["validation", "accuracy", "0.5000", "0.6000"]
               for line in out.out.splitlines()), out.out
    differ = out.out[out.out.index("recipe values that differ"):].splitlines()
    assert [line.split() for line in differ[2:]] == [["optimizer.lr", "0.01", "0.02"]]
    # the same values written otherwise (a comment, the default spelt out) differ in nothing
    store = Store.open(tmp_path, create=True)
    same = _run(store, text=RECIPE.replace("adam(lr = 0.01)", "adam(lr = 0.01, beta1 = 0.9)")
                + "# a comment\n", overrides=["optimizer.lr=0.01"])
    store.close()
    out = cli("runs", "--runs", tmp_path, "compare", str(first), str(same))
    assert "recipe values that differ: none differ" in out.out, out.out


def test_compare_falls_back_to_lines_for_a_recipe_that_no_longer_checks(tmp_path):
    store = Store.open(tmp_path, create=True)
    a = _run(store)
    b = _run(store, text=RECIPE.replace("relu", "relu9"))
    store.close()
    out = cli("runs", "--runs", tmp_path, "compare", str(a), str(b))
    assert out.code == 0, out.text
    assert "recipe lines that differ" in out.out and "relu9" in out.out


def test_an_unknown_id_names_the_nearest_ones(tmp_path):
    _filled(tmp_path, runs=3)
    for args in (["show", "7"], ["compare", "1", "7"]):
        out = cli("runs", "--runs", tmp_path, *args)
        assert out.code == 2 and "error[R004]" in out.err, out.text
        assert "no run 7" in out.err and "the nearest ids are 1, 2, 3" in out.err
        no_traceback(out)
    out = cli("runs", "show", "1", "--runs", tmp_path / "nothing")
    assert out.code == 2 and "error[R004]" in out.err and "no run store" in out.err
    assert cli("runs", "show", "one").code == 2               # argparse: not an id
    out = cli("runs", "show", "last-3", "--runs", tmp_path)
    assert out.code == 2 and "has no run last-3: it holds 3 run(s)" in out.err, out.text


def test_last_and_last_n_count_back_from_the_newest(tmp_path):
    first, second, third = _filled(tmp_path, runs=3)
    assert f"run {third}: tiny" in cli("runs", "show", "last", "--runs", tmp_path).out
    out = cli("runs", "compare", "last-2", "last-1", "--runs", tmp_path)
    assert out.code == 0 and f"run {first}  run {second}" in out.out, out.text


def test_plain_output_is_json_free_text():
    from recipec.runtime.store.tables import plain, seconds_text

    assert plain(["a", "bb"], [["1", "2"], ["333", "4"]], right={1}) == \
        "a    bb\n1     2\n333   4"
    assert [seconds_text(s) for s in (1.25, 65, 7322)] == ["1.2 s", "1 min 05 s", "2 h 02 min"]
    assert json.loads(w.to_json({"x": float("nan")})) == {"x": None}


def test_a_schema_1_store_gains_the_study_columns_and_keeps_its_runs(tmp_path):
    """A store an earlier recipec wrote (schema 1: no study, trial, pruned) is brought to
    schema 2 when opened: its rows read as before and trials can be recorded in it."""
    from recipec.runtime.store import schema
    from recipec.runtime.store.read import get_run

    ids = _filled(tmp_path / "runs", runs=2, epochs=3)
    conn = sqlite3.connect(tmp_path / "runs" / FILE)
    conn.execute("DROP INDEX runs_by_study")
    for column in ("study", "trial", "pruned"):          # back to schema 1's table
        conn.execute(f"ALTER TABLE runs DROP COLUMN {column}")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    store = Store.open(tmp_path / "runs", create=False)
    try:
        assert dict(store.conn.execute("SELECT key, value FROM meta"))["schema"] == \
            str(schema.VERSION)
        row = get_run(store, ids[0])
        assert row["epochs"] == 3 and row["study"] is None and row["shown"] == "finished"
    finally:
        store.close()
