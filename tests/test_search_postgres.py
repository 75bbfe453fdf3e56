"""Two workers on one study held by a real PostgreSQL server (tests/postgres_server.py starts
one on this machine): every grid point is trained exactly once, and the same command again
finds nothing left to do."""
from __future__ import annotations

import pytest

from hostile import cli, write
from postgres_server import postgres_url
from test_search import GRID

optuna = pytest.importorskip("optuna")


def test_two_workers_share_a_study_on_a_postgresql_server(tmp_path):
    with postgres_url() as url:
        write(tmp_path, "g.recipe", GRID)
        out = cli("search", tmp_path / "g.recipe", "--workers", "2", "--storage", url,
                  "--no-plots", cwd=tmp_path)
        assert out.code == 0, out.err
        trials = optuna.load_study(study_name="grid_iris", storage=url).trials
        complete = [tuple(sorted(t.params.items())) for t in trials
                    if t.state.name == "COMPLETE"]
        assert len(complete) == 9 and len(set(complete)) == 9
        again = cli("search", tmp_path / "g.recipe", "--storage", url, "--no-plots",
                    cwd=tmp_path)
        assert again.code == 0 and "9 done before" in again.err
        assert len(optuna.load_study(study_name="grid_iris", storage=url).trials) == \
            len(trials)


def _running(url: str, name: str) -> list:
    try:
        study = optuna.load_study(study_name=name, storage=url)
    except KeyError:                    # not created yet
        return []
    return [t for t in study.trials if t.state.name == "RUNNING"]


def test_a_killed_workers_trial_is_failed_by_its_heartbeat_and_run_again(tmp_path,
                                                                        monkeypatch):
    """SIGKILL a worker in the middle of a trial: its heartbeat stops, the next worker marks
    the trial failed once the grace period has passed and trains that point again; the grid's
    nine points end complete exactly once each."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from recipec.runtime.search.study import retry_cut_off, storage_of

    monkeypatch.setenv("RECIPEC_SEARCH_HEARTBEAT", "1,3")     # this process and the worker
    with postgres_url() as url:
        write(tmp_path, "g.recipe", GRID)
        # long trials (iris, 4000 epochs: seconds each) so that the kill lands inside one
        slow = subprocess.Popen(
            [sys.executable, "-m", "recipec", "search", "g.recipe", "--storage", url,
             "--no-plots", "--no-store", "--quiet", "--set", "train.epochs=4000"],
            cwd=tmp_path, env=dict(os.environ), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 120
            while not _running(url, "grid_iris"):
                assert slow.poll() is None, slow.stderr.read().decode()
                assert time.monotonic() < deadline, "no trial started in 120 s"
                time.sleep(0.2)
            time.sleep(1.5)              # a heartbeat or two inside the trial
            killed = _running(url, "grid_iris")[0]
            # a worker starting now leaves a live worker's trials alone
            live = optuna.load_study(study_name="grid_iris",
                                     storage=storage_of(url, tmp_path / "unused"))
            assert retry_cut_off(live, server=True) == []
            assert killed.number in {t.number for t in _running(url, "grid_iris")}
        finally:
            slow.send_signal(signal.SIGKILL)
            slow.wait()
        assert _running(url, "grid_iris"), "the killed worker's trial should still be RUNNING"
        time.sleep(4)                    # past the grace period
        out = cli("search", tmp_path / "g.recipe", "--storage", url, "--no-plots",
                  "--no-store", cwd=tmp_path)
        assert out.code == 0, out.err
        assert f"{killed.number}" in out.err.splitlines()[0] and "cut off" in out.err
        trials = optuna.load_study(study_name="grid_iris", storage=url).trials
        states = {t.number: t.state.name for t in trials}
        assert states[killed.number] == "FAIL"
        complete = [tuple(sorted(t.params.items())) for t in trials
                    if t.state.name == "COMPLETE"]
        assert len(complete) == 9 and len(set(complete)) == 9
        point = tuple(sorted(killed.params.items()))
        again = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number
                 or t.user_attrs.get("retry_of") == killed.number]
        assert len(again) == 1 and tuple(sorted(again[0].params.items())) == point
        assert again[0].state.name == "COMPLETE"
