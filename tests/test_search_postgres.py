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
