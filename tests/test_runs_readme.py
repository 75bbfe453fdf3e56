"""The README's Runs block, run as written, in order, into a fresh runs folder (its runs train
iris_mlp, so this file is in the cpu tier): the two runs are listed, shown and compared as
the README says, the compare naming the value the second run's --set changed."""
from __future__ import annotations

import shlex

from hostile import accepted, cli
from readme_blocks import ROOT, blocks, commands


def _runs_block():
    [block] = [b for b in blocks() if b.lang == "bash" and "recipec runs compare" in b.text]
    return block


def test_the_readme_runs_commands_run_in_order(tmp_path, monkeypatch):
    monkeypatch.setenv("RECIPEC_RUNS", str(tmp_path / "runs"))
    lines = commands(_runs_block())
    assert [cmd.split()[1] for _, cmd in lines] == ["run", "run", "runs", "runs", "runs"]
    outs = []
    for line, cmd in lines:
        out = cli(*shlex.split(cmd, comments=True)[1:], cwd=ROOT)
        accepted(out)
        outs.append(out.out)
    listed, shown, compared = outs[2:]
    assert [line.split()[:3] for line in listed.splitlines()[2:]] == [
        ["2", "iris_mlp", "finished"], ["1", "iris_mlp", "finished"]]
    assert "run 2: iris_mlp, finished" in shown and "optimizer.lr=0.001" in shown
    differ = compared[compared.index("recipe values that differ"):].splitlines()
    assert [line.split() for line in differ[2:]] == [["optimizer.lr", "0.01", "0.001"]]
