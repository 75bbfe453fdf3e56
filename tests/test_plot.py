"""The figures of runtime/plot/: curves of one or several runs and the confusion heatmap,
checked on the figure itself (panels, lines, scales, cell values) and on the file written
(a PNG Pillow decodes, SVG and PDF by suffix, atomic). Nothing here compiles a kernel."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from recipec.runtime.plot import confusion_figure, curves_figure, plot_confusion, plot_curves
from recipec.runtime.plot import figure as figure_module


def history(epochs: int, lr=lambda e: 1e-3, validation=True, extra=None) -> list[dict]:
    """Epoch records shaped as run_report writes them."""
    out = []
    for e in range(1, epochs + 1):
        val = {"loss": 1.2 / e, "accuracy": 1 - 0.5 / e, **(extra or {})} if validation else None
        out.append({"epoch": e, "train": {"loss": 1.0 / e, "accuracy": 1 - 0.4 / e},
                    "validation": val, "seconds": 0.01, "lr": lr(e)})
    return out


def _panel(figure, title):
    [ax] = [a for a in figure.axes if a.get_title() == title]
    return ax


def test_one_run_one_panel_each_for_loss_metric_and_lr(tmp_path):
    out = tmp_path / "curves.png"
    figure = plot_curves([("digits", history(5))], out)
    assert [a.get_title() for a in figure.axes] == ["loss", "accuracy", "learning rate"]
    loss = _panel(figure, "loss")
    solid, dashed = loss.lines                       # train, validation
    assert solid.get_linestyle() == "-" and dashed.get_linestyle() == "--"
    assert list(solid.get_xdata()) == [1, 2, 3, 4, 5]
    assert np.allclose(dashed.get_ydata(), [1.2 / e for e in range(1, 6)])
    assert solid.get_color() == dashed.get_color()   # one colour per run
    assert len(_panel(figure, "learning rate").lines) == 1
    with Image.open(out) as image:                    # a real PNG, of the figure's size
        image.load()
        assert image.format == "PNG"
        assert image.size == (1200, 300)              # 3 panels of 4 x 3 inches at 100 dpi


def test_several_runs_share_the_panels_one_colour_each(tmp_path):
    runs = [("adam", history(6)), ("sgd", history(4)), ("nadam", history(3, validation=False))]
    figure = curves_figure(runs)
    loss = _panel(figure, "loss")
    assert len(loss.lines) == 2 + 2 + 1               # the third run has no validation
    colours = {tuple(line.get_color()) for line in loss.lines}
    assert len(colours) == 3
    assert len(_panel(figure, "learning rate").lines) == 3
    legend = [t.get_text() for t in loss.get_legend().get_texts()]
    assert legend == ["adam", "sgd", "nadam", "train", "validation"]


def test_a_metric_only_validation_reports_gets_its_panel():
    figure = curves_figure([("a", history(3, extra={"f1": 0.7}))])
    assert [a.get_title() for a in figure.axes] == ["loss", "accuracy", "f1", "learning rate"]
    [line] = _panel(figure, "f1").lines
    assert line.get_linestyle() == "--"
    # four panels: a second row of three columns, its empty places removed
    assert len(figure.axes) == 4


def test_lr_panel_is_log_scale_only_past_a_tenfold_span():
    step = curves_figure([("a", history(30, lr=lambda e: 1e-3 * 0.5 ** (e // 10)))])
    assert _panel(step, "learning rate").get_yscale() == "linear"      # 4x
    decay = curves_figure([("a", history(30, lr=lambda e: 1e-2 * 0.8 ** e))])
    assert _panel(decay, "learning rate").get_yscale() == "log"        # 800x
    # annealed to 0: the positive rates decide, the 0 is masked, not an error
    cosine = curves_figure([("a", history(10, lr=lambda e: 0.1 * (1 + math.cos(
        math.pi * e / 10)) / 2))])
    assert _panel(cosine, "learning rate").get_yscale() == "log"


def test_no_lr_no_lr_panel_and_one_epoch_still_shows():
    runs = [("a", [{"epoch": 1, "train": {"loss": 0.5}, "validation": None, "lr": None}])]
    figure = curves_figure(runs)
    assert [a.get_title() for a in figure.axes] == ["loss"]
    [line] = figure.axes[0].lines
    assert line.get_marker() == "o"                   # a single point, drawn as a dot


def test_nan_and_infinity_are_gaps():
    h = history(4)
    h[1]["train"]["loss"] = float("nan")
    h[2]["train"]["loss"] = float("inf")
    solid = _panel(curves_figure([("a", h)]), "loss").lines[0]
    y = solid.get_ydata()
    assert math.isnan(y[1]) and math.isnan(y[2]) and y[0] == 1.0


def test_no_run_or_an_empty_history_is_refused():
    with pytest.raises(ValueError, match="at least one run"):
        curves_figure([])
    with pytest.raises(ValueError, match="'b' has no epochs"):
        curves_figure([("a", history(2)), ("b", [])])


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".pdf", b"%PDF"),
                                           (".PNG", b"\x89PNG")])
def test_the_suffix_says_the_format(tmp_path, suffix, magic):
    out = tmp_path / f"c{suffix}"
    plot_curves([("a", history(3))], out)
    assert out.read_bytes().startswith(magic)


def test_an_unknown_suffix_is_refused_before_drawing(tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf.*not \.jpg"):
        plot_curves([("a", history(2))], tmp_path / "c.jpg")
    assert list(tmp_path.iterdir()) == []


def test_the_write_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "c.png"
    plot_curves([("a", history(3))], out)
    good = out.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]       # no temporary left
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask             # not mkstemp's 0600
    figure = curves_figure([("b", history(5))])

    def broken(path, **kwargs):                       # the disk fills up half way
        with open(path, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(figure, "savefig", broken)
    with pytest.raises(OSError):
        figure_module.save(figure, out)
    assert out.read_bytes() == good                   # the old figure, whole
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]


MATRIX = [[5, 1, 0], [2, 7, 1], [0, 0, 0]]


def test_confusion_heatmap_holds_the_counts_true_classes_as_rows(tmp_path):
    out = tmp_path / "cm.png"
    figure = plot_confusion(MATRIX, ["cat", "dog", "bird"], out)
    ax = figure.axes[0]
    [image] = ax.images
    assert np.array_equal(image.get_array(), np.array(MATRIX, dtype=float))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "bird"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert ax.get_ylabel() == "true class" and ax.get_xlabel() == "predicted class"
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts}
    assert cells[(1, 0)] == "2" and cells[(0, 1)] == "1" and cells[(1, 1)] == "7"
    assert len(cells) == 9
    with Image.open(out) as png:
        png.load()
        assert png.format == "PNG" and png.size[0] > 300


@pytest.mark.parametrize("normalize, expected", [
    ("true", [[5 / 6, 1 / 6, 0], [0.2, 0.7, 0.1], [0, 0, 0]]),      # the empty row stays 0
    ("pred", [[5 / 7, 1 / 8, 0], [2 / 7, 7 / 8, 1], [0, 0, 0]]),
    ("all", np.array(MATRIX) / 16)])
def test_confusion_normalized(normalize, expected):
    figure = confusion_figure(MATRIX, None, normalize=normalize)
    ax = figure.axes[0]
    assert np.allclose(ax.images[0].get_array(), expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == f"{expected[0][0]:.2f}" and texts[2] == "0"


@pytest.mark.parametrize("matrix, names, why", [
    ([[1, 2], [3]], None, "square list of lists"),
    ([[1, 2, 3], [4, 5, 6]], None, "square"),
    ([], None, "square"),
    ([[1, -1], [0, 2]], None, "counts"),
    ([[1, float("nan")], [0, 2]], None, "counts"),
    ([[1, 0], [0, 1]], ["a", "b", "c"], "3 class names for a 2 x 2"),
])
def test_a_bad_confusion_matrix_is_refused(matrix, names, why):
    with pytest.raises(ValueError, match=why):
        confusion_figure(matrix, names)


def test_a_bad_normalize_is_refused():
    with pytest.raises(ValueError, match="normalize must be one of"):
        confusion_figure(MATRIX, None, normalize="rows")


def test_only_drawing_imports_matplotlib():
    code = ("import sys, recipec, recipec.runtime.cli as cli, recipec.runtime.plot, "
            "recipec.runtime.plot.command, recipec.runtime.run, recipec.runtime.progress\n"
            "cli._parser()\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
            "from recipec.runtime.plot import curves_figure\n"
            "curves_figure([('a', [{'epoch': 1, 'train': {'loss': 1.0}}])])\n"
            "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
            "import matplotlib; assert matplotlib.get_backend().lower() == 'agg'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"})
    assert done.returncode == 0, done.stderr


def test_the_readme_figures_are_committed_small_and_whole():
    import re

    from readme_blocks import README, ROOT

    shown = re.findall(r"!\[[^\]]*\]\((docs/[^)]+\.png)\)", README.read_text(encoding="utf-8"))
    assert "docs/digits_curves.png" in shown
    for name in shown:
        path = ROOT / name
        assert path.stat().st_size < 150_000, f"{name}: {path.stat().st_size} bytes"
        with Image.open(path) as png:
            png.load()
            assert png.format == "PNG"
