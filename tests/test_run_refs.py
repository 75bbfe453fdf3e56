"""A run of the store named where a path is taken: `recipec eval 2`, `predict last`, `plot 1 2`.
Each run keeps its model and report in its own folder, <runs>/<recipe>/run-<id>/, so a later
run never replaces an earlier one's."""
from __future__ import annotations

import numpy as np

from hostile import accepted, cli
from test_runs_recorded import IRIS


def test_eval_predict_and_plot_take_run_ids(tmp_path):
    runs = tmp_path / "runs"
    for lr in ("0.01", "0.05"):
        accepted(cli("run", IRIS, "--set", "train.epochs=3", "--set", f"optimizer.lr={lr}",
                     "--runs", runs, "--quiet"))
    first, second = (runs / "iris_mlp" / f"run-{i}" / "model" for i in (1, 2))
    assert (first / "model.json").is_file() and (second / "model.json").is_file()

    by_id = cli("eval", "1", "--runs", runs, "--split", "validation")
    by_path = cli("eval", first, "--split", "validation")
    assert by_id.code == 0 and by_id.out == by_path.out
    assert cli("eval", "last", "--runs", runs, "--split", "validation").out == \
        cli("eval", second, "--split", "validation").out

    x = tmp_path / "x.npy"
    np.save(x, np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], np.float32))
    accepted(cli("predict", "last-1", x, "-o", tmp_path / "p.csv", "--runs", runs))
    assert (tmp_path / "p.csv").read_text().splitlines()[0].startswith("class")

    out = cli("plot", "1", "2", "-o", tmp_path / "c.png", "--runs", runs)
    assert out.code == 0, out.err
    assert (tmp_path / "c.png").stat().st_size > 1000

    missing = cli("eval", "9", "--runs", runs)
    assert missing.code == 2 and "R004" in missing.err and "no run 9" in missing.err
    assert "Traceback" not in missing.err
