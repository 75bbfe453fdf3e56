"""The README's Plots block, run as written in a temporary folder (its runs train digits_mlp,
so this file is in the cpu tier): the reports it writes are what `recipec plot` reads, and
the figures come out as the README shows them."""
from __future__ import annotations

import shlex

from PIL import Image

from hostile import accepted, cli
from readme_blocks import ROOT, blocks, commands


def _plots_block():
    [block] = [b for b in blocks() if b.lang == "bash" and "recipec plot" in b.text]
    return block


def test_the_readme_plot_commands_run(tmp_path):
    lines = commands(_plots_block())
    assert [cmd.split()[1] for _, cmd in lines] == ["run", "run", "plot", "plot"]
    figures = []
    for line, cmd in lines:
        # the recipes are the checkout's; every file written lands in tmp_path
        argv = [str(ROOT / a) if a.startswith("recipes/") else a
                for a in shlex.split(cmd, comments=True)[1:]]
        out = cli(*argv, cwd=tmp_path)
        accepted(out)
        if argv[0] == "plot":
            figures.append(tmp_path / argv[argv.index("-o") + 1])
    for figure in figures:
        with Image.open(figure) as png:
            png.load()
            assert png.format == "PNG"
    with Image.open(figures[0]) as curves:
        assert curves.size == (1200, 300)       # loss, accuracy, learning rate
