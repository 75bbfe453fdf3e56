"""`recipec plot` on reports shaped by run_report itself (built from fake epoch records, so
nothing trains): the figures it writes, and every bad input refused with exit 2, a message
naming the file, no traceback and no figure written."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from PIL import Image

from hostile import accepted, cli, refused, write
from recipec.runtime.program import EpochRecord, History
from recipec.runtime.report import run_report
from recipec.runtime.plot.runs import resolve_run

CONFUSION = [[3, 1], [0, 4]]


def report(epochs: int = 4, names=("cat", "dog"), confusion=True, lr=1e-3) -> dict:
    """A report as `recipec run --report` writes it, from a stand-in program and history."""
    recipe = SimpleNamespace(name="pets", path="pets.recipe", train=SimpleNamespace(batch=8),
                             early_stop=None)
    program = SimpleNamespace(recipe=recipe, compile_seconds=0.1,
                              compiled=SimpleNamespace(timings={}),
                              data=SimpleNamespace(class_names=names))
    records = [EpochRecord(e, {"loss": 1 / e, "accuracy": 0.5 + e / 10},
                           {"loss": 1.1 / e, "accuracy": 0.5 + e / 11}, 0.01, 10,
                           lr * 0.5 ** e) for e in range(1, epochs + 1)]
    history = History(epochs=records, train_seconds=0.01 * epochs, steps=10 * epochs)
    details = {"validation": {"confusion": CONFUSION}} if confusion else {}
    final = {"validation": {"loss": 0.3, "accuracy": 0.9}}
    return json.loads(json.dumps(run_report(program, history, final, None, details)))


def save(folder, name, payload) -> str:
    return str(write(folder, name, json.dumps(payload)))


def test_curves_of_two_runs(tmp_path):
    a, b = save(tmp_path, "adam.json", report()), save(tmp_path, "sgd.json", report(6))
    out = tmp_path / "figs" / "curves.png"         # a missing folder is made
    done = cli("plot", a, b, "-o", out)
    accepted(done)
    assert f"wrote {out}" in done.out
    with Image.open(out) as png:
        png.load()
        assert png.format == "PNG" and png.size == (1200, 300)


def test_the_report_carries_what_plot_reads(tmp_path):
    run = resolve_run(save(tmp_path, "pets.json", report(3)))
    assert run.label == "pets" and run.class_names == ["cat", "dog"]
    assert [r["epoch"] for r in run.history] == [1, 2, 3]
    assert run.history[0]["lr"] == pytest.approx(5e-4)
    assert run.details["validation"]["confusion"] == CONFUSION


def test_two_reports_of_one_name_are_told_apart(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr("recipec.runtime.plot.plot_curves",
                        lambda runs, out: seen.extend(label for label, _ in runs))
    a = save(tmp_path / "a", "out.json", report())
    b = save(tmp_path / "b", "out.json", report())
    c = save(tmp_path, "other.json", report())
    accepted(cli("plot", a, b, c, "-o", tmp_path / "c.png"))
    assert seen == [a, b, "other"]


def test_confusion(tmp_path):
    run = save(tmp_path, "pets.json", report())
    out = tmp_path / "cm.svg"
    accepted(cli("plot", run, "--confusion", "--normalize", "true", "-o", out))
    text = out.read_text()
    assert text.startswith("<?xml") and "dog" in text and "0.75" in text


@pytest.mark.parametrize("content, code, mentions", [
    (None, "D001", "no such run report"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "D002", "not UTF-8"),
    ('{"history": [', "D002", "is not JSON"),
    ("[1, 2]", "D003", "it holds a JSON array"),
    ('{"recipe": "x"}', "D003", 'no "history" list'),
    ('{"history": []}', "D003", "no epochs to plot"),
    ('{"history": [{"epoch": 1, "train": {"loss": "low"}}]}', "D003", "history[0]"),
    ('{"history": [{"epoch": 0, "train": {"loss": 1}}]}', "D003", "no epoch number"),
    ('{"history": [{"epoch": true, "train": {"loss": 1}}]}', "D003", "no epoch number"),
    ('{"history": [{"epoch": 1, "train": {"loss": 1}}, 7]}', "D003", "history[1] is a JSON"),
    ('{"history": [{"epoch": 1, "train": {"loss": 1' + "0" * 400 + '}}]}', "D003",
     "history[0]"),
    ('{"history": [{"epoch": 1, "train": {"loss": 1}, "lr": "fast"}]}', "D003", '"lr"'),
    ('{"history": [{"epoch": 1, "train": {"loss": 1}}], "details": []}', "D003",
     '"details"'),
    ('{"folds": 5, "cross_validation": {}, "runs": []}', "D003", "k-fold report"),
    ("[" * 100000 + "]" * 100000, "D002", "pets.json"),
])
def test_a_bad_report_is_refused(tmp_path, content, code, mentions):
    path = tmp_path / "pets.json"
    if content is not None:
        write(tmp_path, "pets.json", content)
    out = tmp_path / "c.png"
    done = cli("plot", path, "-o", out)
    refused(done, code, mentions=(str(path), mentions))
    assert not out.exists()


def test_infinity_in_a_report_is_a_gap_not_an_error(tmp_path):
    # Python's json writes a diverged value as Infinity or NaN, and reads it back
    payload = report()
    payload["history"][1]["train"]["loss"] = float("inf")
    payload["history"][2]["validation"]["loss"] = float("nan")
    accepted(cli("plot", save(tmp_path, "r.json", payload), "-o", tmp_path / "c.png"))


def test_a_folder_given_as_run_is_refused(tmp_path):
    refused(cli("plot", tmp_path, "-o", tmp_path / "c.png"), "D002", mentions="is a folder")


@pytest.mark.parametrize("args, mentions", [
    (["--confusion"], "no confusion matrix for any split"),
    (["--confusion", "--split", "test"], "no confusion matrix for the test split"),
])
def test_confusion_without_a_matrix_is_refused(tmp_path, args, mentions):
    run = save(tmp_path, "pets.json", report(confusion=False))
    done = cli("plot", run, *args, "-o", tmp_path / "cm.png")
    refused(done, "D003", mentions=(run, mentions))
    assert "metrics=[accuracy, confusion]" in done.err           # the hint says how
    assert not (tmp_path / "cm.png").exists()


def test_confusion_on_a_split_the_run_lacks_names_the_one_it_has(tmp_path):
    run = save(tmp_path, "pets.json", report())
    refused(cli("plot", run, "--confusion", "--split", "test", "-o", tmp_path / "cm.png"),
            "D003", mentions="(it has one for validation)")


@pytest.mark.parametrize("matrix, mentions", [
    ([[1, 2], [3]], "not a square list of lists of counts"),
    ([[1, -2], [3, 4]], "not a square list of lists of counts"),
    ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], "2 class names for a 3-class"),
])
def test_a_damaged_confusion_matrix_is_refused(tmp_path, matrix, mentions):
    payload = report()
    payload["details"]["validation"]["confusion"] = matrix
    run = save(tmp_path, "pets.json", payload)
    refused(cli("plot", run, "--confusion", "-o", tmp_path / "cm.png"), "D003",
            mentions=mentions)


@pytest.mark.parametrize("extra, mentions", [
    (["--split", "test"], "--split is for --confusion"),
    (["--normalize", "true"], "--normalize is for --confusion"),
    (["SECOND", "--confusion"], "--confusion draws one run's matrix; 2 runs"),
])
def test_usage_errors(tmp_path, extra, mentions):
    run = save(tmp_path, "pets.json", report())
    extra = [run if a == "SECOND" else a for a in extra]
    refused(cli("plot", run, *extra, "-o", tmp_path / "c.png"), mentions=mentions)
    assert not (tmp_path / "c.png").exists()


@pytest.mark.parametrize("out, mentions", [
    ("c.jpg", "not .jpg"),
    ("curves", "not a name without a suffix"),
    ("FOLDER", "is a folder"),
    ("FILE/c.png", "is not a folder"),
])
def test_an_output_that_cannot_work_is_refused_before_reading(tmp_path, out, mentions):
    (tmp_path / "FOLDER.png").mkdir()
    (tmp_path / "FILE").write_text("x")
    out = {"FOLDER": "FOLDER.png"}.get(out, out)
    done = cli("plot", tmp_path / "missing.json", "-o", tmp_path / out)
    refused(done, mentions=mentions)
    assert "D001" not in done.err              # refused before the run was looked for


def test_plot_needs_a_run_and_an_output(tmp_path):
    assert cli("plot", "-o", tmp_path / "c.png").code == 2
    assert cli("plot", save(tmp_path, "r.json", report())).code == 2
    assert "plot" in cli("plto", "x").err                     # did you mean 'plot'?
