"""The registries of losses, metrics and data sources, one table row per entry.

Each table must name exactly the registered entries, so a new loss, metric or source without
its row here fails, and so does a row left behind by a removed one.
"""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import recipec

from recipec.compiler.build import BuildContext
from recipec.compiler.check import check_source
from recipec.compiler.diagnostics import RecipeError, Span
from recipec.compiler.interpret import run_graph
from recipec.compiler.ir import BATCH, Graph, TensorType, verify
from recipec.compiler.losses import LOSSES
from recipec.compiler.metrics import METRICS
from recipec.compiler.recipe import Call
from recipec.compiler.sources import SOURCES
from recipec.compiler.step import build_step_graphs
from recipec.compiler.tasks import TASKS
from recipec.runtime.data.idx import MNIST_FILES, write_idx
from recipec.runtime.data.sources import READERS, load_source

pytestmark = pytest.mark.frontend

RNG = np.random.default_rng(0)


def _ce(o, y):     # written out without the max shift: the logits here are small
    o = o.astype(np.float64)
    return np.mean(np.log(np.exp(o).sum(axis=1)) - o[np.arange(len(y)), y])


def _sigmoid(z):
    return 1 / (1 + np.exp(-z.astype(np.float64)))


def _hinge(o, y, margin):      # torch's MultiMarginLoss written as loops
    o = o.astype(np.float64)
    return np.mean([sum(max(0.0, margin - o[i, y[i]] + o[i, j]) for j in range(o.shape[1])
                        if j != y[i]) / o.shape[1] for i in range(len(y))])


def _huber(o, y, delta):
    e = np.abs(o.astype(np.float64) - y)
    return np.mean(np.where(e < delta, 0.5 * e ** 2, delta * (e - 0.5 * delta)))


# loss -> its task, whether the step counts correct rows, the label input `y` of the step, the
# metrics of a recipe without `metrics = [...]`, a batch (outputs, labels), the loss in plain
# numpy (with the row's `options`, none when absent), and the layers after `input [1, 4, 4]` giving an output the loss accepts (`good`) or
# rejects with an E303 (`bad`)
LOSS_ROWS = {
    "cross_entropy": dict(
        task="classification", counts_correct=True, label=TensorType((BATCH,), "int64"),
        default_metrics=("accuracy",),
        batch=lambda: (RNG.standard_normal((5, 3)).astype(np.float32),
                       np.array([0, 2, 1, 2, 0], np.int64)),
        formula=_ce, good="flatten dense(3)", bad="flatten dense(1)"),
    "binary_cross_entropy": dict(
        task="binary", counts_correct=True, label=TensorType((BATCH,), "int64"),
        default_metrics=("accuracy",), options={"pos_weight": 2.0},
        batch=lambda: (RNG.standard_normal((5, 1)).astype(np.float32),
                       np.array([0, 1, 1, 0, 1], np.int64)),
        formula=lambda o, y: np.mean(-(2.0 * y * np.log(_sigmoid(o[:, 0]))
                                       + (1 - y) * np.log(1 - _sigmoid(o[:, 0])))),
        good="flatten dense(1)", bad="flatten dense(2)"),
    "hinge": dict(
        task="classification", counts_correct=True, label=TensorType((BATCH,), "int64"),
        default_metrics=("accuracy",), options={"margin": 0.7},
        batch=lambda: (RNG.standard_normal((5, 3)).astype(np.float32),
                       np.array([0, 2, 1, 2, 0], np.int64)),
        formula=lambda o, y: _hinge(o, y, 0.7), good="flatten dense(3)", bad="flatten dense(1)"),
    "huber": dict(
        task="regression", counts_correct=False, label=TensorType((BATCH, 2), "float32"),
        default_metrics=("mae",), options={"delta": 0.5},
        batch=lambda: (RNG.standard_normal((5, 2)).astype(np.float32),
                       RNG.standard_normal((5, 2)).astype(np.float32)),
        formula=lambda o, y: _huber(o, y, 0.5), good="flatten dense(2)", bad="maxpool2d(2)"),
    "mae": dict(
        task="regression", counts_correct=False, label=TensorType((BATCH, 2), "float32"),
        default_metrics=("mae",),
        batch=lambda: (RNG.standard_normal((5, 2)).astype(np.float32),
                       RNG.standard_normal((5, 2)).astype(np.float32)),
        formula=lambda o, y: np.mean(np.abs(o.astype(np.float64) - y)),
        good="flatten dense(2)", bad="maxpool2d(2)"),
    "mse": dict(
        task="regression", counts_correct=False, label=TensorType((BATCH, 2), "float32"),
        default_metrics=("mae",),
        batch=lambda: (RNG.standard_normal((5, 2)).astype(np.float32),
                       RNG.standard_normal((5, 2)).astype(np.float32)),
        formula=lambda o, y: np.mean((o.astype(np.float64) - y) ** 2),
        good="flatten dense(2)", bad="maxpool2d(2)"),
}

# metric -> the tasks it is valid for (None: all), and a tiny example with its value by hand
METRIC_ROWS = {
    "accuracy": dict(tasks={"classification", "binary"}, loss="cross_entropy",
                     outputs=[[2, 1, 0], [0, 1, 3], [1, 5, 0], [4, 0, 0]], y=[0, 2, 0, 1],
                     value=0.5),
    "mae": dict(tasks={"regression"}, loss="mse",
                outputs=[[1, 2], [3, 4]], y=[[0, 2], [5, 4]], value=0.75),
    "loss": dict(tasks=None, loss="mse",         # the recipe's loss: mse of these is 5 / 2
                 outputs=[[1], [3]], y=[[0], [1]], value=2.5),
    # labels 0, 2, 0, 1 against arg-max predictions 0, 2, 1, 0
    "top_k": dict(tasks={"classification"}, loss="cross_entropy", options={"k": 2},
                  outputs=[[2, 1, 0], [0, 1, 3], [1, 5, 0], [4, 0, 0]], y=[0, 2, 0, 1],
                  value=0.75),      # row 4: label 1 ties class 2, which ranks first (sklearn)
    "precision": dict(tasks={"classification", "binary"}, loss="cross_entropy",
                      options={"average": "macro"},
                      outputs=[[2, 1, 0], [0, 1, 3], [1, 5, 0], [4, 0, 0]], y=[0, 2, 0, 1],
                      value=(1 / 2 + 0 + 1) / 3),
    "recall": dict(tasks={"classification", "binary"}, loss="cross_entropy",
                   options={"average": "weighted"},
                   outputs=[[2, 1, 0], [0, 1, 3], [1, 5, 0], [4, 0, 0]], y=[0, 2, 0, 1],
                   value=(2 * 0.5 + 0 + 1) / 4),
    "f1": dict(tasks={"classification", "binary"}, loss="cross_entropy",
               options={"average": "micro"},
               outputs=[[2, 1, 0], [0, 1, 3], [1, 5, 0], [4, 0, 0]], y=[0, 2, 0, 1],
               value=0.5),
    # scores z1 - z0: 1, -1, 2, 0
    "auc": dict(tasks={"classification", "binary"}, loss="cross_entropy",
                outputs=[[0, 1], [1, 0], [0, 2], [0, 0]], y=[1, 0, 0, 1], value=0.5),
    "mse": dict(tasks={"regression"}, loss="mse", outputs=[[1, 2], [3, 4]], y=[[0, 2], [5, 4]],
                value=1.25),
    "r2": dict(tasks={"regression"}, loss="mse", outputs=[[1], [2], [4]], y=[[1], [3], [5]],
               value=1 - 2 / 8),
}
# table-only metrics (no value): their details by hand
METRIC_TABLES = {
    "confusion": dict(outputs=[[2, 1, 0], [0, 1, 3], [1, 5, 0], [4, 0, 0]], y=[0, 2, 0, 1],
                      details=[[1, 1, 0], [1, 0, 0], [0, 0, 1]]),
}


def _csv(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,label\n1,2,0\n3,4,1\n5,6,0\n")
    return {"path": str(tmp_path / "d.csv")}, 3, (2,)


def _npz(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.arange(12.0).reshape(4, 3), y=np.array([0, 1, 1, 0]))
    return {"path": str(tmp_path / "d.npz")}, 4, (3,)


def _npy(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(12.0).reshape(4, 3))
    np.save(tmp_path / "y.npy", np.array([0, 1, 1, 0]))
    return {"x": str(tmp_path / "x.npy"), "y": str(tmp_path / "y.npy")}, 4, (3,)


def _idx(tmp_path):
    write_idx(tmp_path / "im", np.zeros((4, 5, 6), np.uint8))
    write_idx(tmp_path / "lb", np.array([0, 1, 0, 1], np.uint8))
    return {"images": str(tmp_path / "im"), "labels": str(tmp_path / "lb")}, 4, (1, 5, 6)


def _mnist(tmp_path):
    for key, name in MNIST_FILES.items():
        n = 3 if key.startswith("train") else 2
        arr = (np.zeros((n, 28, 28), np.uint8) if key.endswith("images")
               else np.arange(n, dtype=np.uint8))
        write_idx(tmp_path / name, arr)
    return {"path": str(tmp_path)}, 3, (1, 28, 28)


def _columnar(suffix, save):
    def make(tmp_path):
        import pyarrow as pa

        save(pa.table({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6], "label": [0, 1, 0]}),
             tmp_path / f"d{suffix}")
        return {"path": str(tmp_path / f"d{suffix}")}, 3, (2,)
    return make


def _save_parquet(table, path):
    import pyarrow.parquet as pq

    pq.write_table(table, path)


def _save_feather(table, path):
    import pyarrow.feather as feather

    feather.write_feather(table, path)


def _images(tmp_path):
    from PIL import Image

    for i, name in enumerate(["a/0.png", "a/1.png", "b/0.jpg", "b/1.png"]):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        Image.fromarray(np.full((5, 6, 3), 40 * i, np.uint8)).save(tmp_path / name)
    return {"path": str(tmp_path)}, 4, (3, 5, 6)      # rgb by default, as stored: [C, H, W]


# source -> a file made for it: (only the required options, rows, per-sample feature shape)
SOURCE_ROWS = {
    "iris": lambda tmp: ({}, 150, (4,)),
    "digits": lambda tmp: ({}, 1797, (64,)),
    "wine": lambda tmp: ({}, 178, (13,)),
    "breast_cancer": lambda tmp: ({}, 569, (30,)),
    "csv": _csv, "npz": _npz, "npy": _npy, "idx": _idx, "mnist": _mnist, "images": _images,
    "parquet": _columnar(".parquet", _save_parquet), "feather": _columnar(".feather", _save_feather),
}


def recipe(loss: str, layers: str, extra: str = "") -> str:
    return (f"data {{ source = iris }}\nmodel {{\n  input [1, 4, 4]\n  {layers}\n}}\n"
            f"loss = {loss}\noptimizer = sgd(0.1)\ntrain {{ epochs = 1 }}\n{extra}")


def diagnostics(text: str, overrides=()) -> list:
    with pytest.raises(RecipeError) as info:
        check_source(text, "r.recipe", overrides)
    return info.value.diagnostics


def test_every_table_names_exactly_the_registered_rows():
    assert set(LOSS_ROWS) == set(LOSSES)
    assert set(METRIC_ROWS) | set(METRIC_TABLES) == set(METRICS)
    assert set(SOURCE_ROWS) == set(SOURCES) == set(READERS)


# --------------------------------------------------------------------------- losses

@pytest.mark.parametrize("name", sorted(LOSS_ROWS))
def test_loss_graph_and_numpy_value_equal_the_formula(name):
    row, loss = LOSS_ROWS[name], LOSSES[name]
    assert loss.task is TASKS[row["task"]]
    outputs, y = row["batch"]()
    assert y.dtype == np.dtype(loss.task.label_dtype)
    options = row.get("options", {})
    g = Graph()
    ctx = BuildContext(g, training=True)
    out = g.input("out", TensorType((BATCH,) + outputs.shape[1:]), "x")
    labels = g.input("y", loss.task.label_type(outputs.shape[1:]), "y")
    g.outputs = {"loss": loss.build(g, out, labels, options,
                                    lambda name, v: ctx.hyper(f"loss.{name}", v))}
    verify(g)
    assert {h.name: h.value for h in ctx.hypers} == {f"loss.{k}": v for k, v in options.items()}
    want = row["formula"](outputs, y)
    np.testing.assert_allclose(run_graph(g, {"out": outputs, "y": y}, ctx.hypers)["loss"], want,
                               rtol=1e-5)
    np.testing.assert_allclose(loss.value(outputs, y, options), want, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSS_ROWS))
def test_loss_sets_labels_training_accuracy_and_default_metrics(name):
    row, task = LOSS_ROWS[name], LOSSES[name].task
    r = check_source(recipe(name, row["good"]), "r.recipe")
    assert r.metric_names == row["default_metrics"]
    graphs = build_step_graphs(r)
    assert graphs.task is task
    assert ("correct" in graphs.train.outputs) == row["counts_correct"] == task.counts_correct
    assert graphs.train.input_named("y").type == row["label"]


@pytest.mark.parametrize("name", sorted(LOSS_ROWS))
def test_loss_rejects_a_model_output_it_cannot_score(name):
    diags = diagnostics(recipe(name, LOSS_ROWS[name]["bad"]))
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("E303", 6, 8)]
    assert name in diags[0].message and diags[0].hint


@pytest.mark.parametrize("text, overrides, want", [
    (recipe("cross_entropi", "flatten dense(3)"), (), "did you mean `cross_entropy`?"),
    (recipe("mes", "flatten dense(3)"), (), "did you mean `mse`?"),
    (recipe("mse", "flatten dense(3)"), ["loss=crossentropy"], "did you mean `cross_entropy`?"),
])
def test_unknown_loss_is_E104_with_did_you_mean(text, overrides, want):
    diags = diagnostics(text, overrides)
    assert [(d.code, d.hint) for d in diags] == [("E104", want)]
    if not overrides:
        assert (diags[0].span.line, diags[0].span.col) == (6, 8)


# --------------------------------------------------------------------------- metrics

@pytest.mark.parametrize("name", sorted(METRIC_ROWS))
def test_metric_formula_on_a_tiny_example(name):
    row = METRIC_ROWS[name]
    outputs = np.array(row["outputs"], np.float32)
    y = np.array(row["y"], np.dtype(LOSSES[row["loss"]].task.label_dtype))
    loss = LOSSES[row["loss"]]
    value = METRICS[name].formula(outputs, y, lambda o, t: loss.value(o, t, {}),
                                  row.get("options", {}))
    assert value == pytest.approx(row["value"], rel=1e-12)


@pytest.mark.parametrize("name", sorted(METRIC_TABLES))
def test_table_metric_details_on_a_tiny_example(name):
    row = METRIC_TABLES[name]
    assert METRICS[name].formula is None
    assert METRICS[name].details(np.array(row["outputs"], np.float32),
                                 np.array(row["y"], np.int64), {}) == row["details"]


@pytest.mark.parametrize("metric, loss", [(m, l) for m in sorted(METRIC_ROWS)
                                          for l in sorted(LOSS_ROWS)])
def test_metric_is_checked_against_the_task_of_the_loss(metric, loss):
    tasks = METRIC_ROWS[metric]["tasks"]
    layers = LOSS_ROWS[loss]["good"]
    if METRICS[metric].check_output is not None:       # auc: a two-class model
        layers = layers.replace("dense(3)", "dense(2)")
    text = recipe(loss, layers, f"metrics = [{metric}]\n")
    if tasks is None or LOSS_ROWS[loss]["task"] in tasks:
        defaults = {o.name: o.default for o in METRICS[metric].opts}
        assert check_source(text, "r.recipe").metric_names == (METRICS[metric].key(defaults),)
        return
    diags = diagnostics(text)
    assert [(d.code, d.span.line, d.span.col, d.span.end_col) for d in diags] == \
        [("E304", 9, 12, 12 + len(metric))]
    assert f"`{metric}`" in diags[0].message and loss in diags[0].message


def test_recipec_check_prints_the_metric_diagnostic(tmp_path, capsys):
    from recipec.runtime.cli import main

    path = tmp_path / "r.recipe"
    path.write_text(recipe("mse", "flatten dense(2)", "metrics = [loss, accuracy]\n"))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"^{re.escape(str(path))}:9:18: error\[E304\]: metric `accuracy` needs "
                     r"loss = binary_cross_entropy or cross_entropy or hinge \(the loss is "
                     r"mse\)$", err, re.M), err
    assert "help: use `mae` or `mse` or `r2` for regression" in err


def test_unknown_metric_is_E104_with_did_you_mean():
    diags = diagnostics(recipe("mse", "flatten dense(2)", "metrics = [maee]\n"))
    assert [(d.code, d.hint) for d in diags] == [("E104", "did you mean `mae`?")]


def test_auc_needs_a_two_class_model():
    diags = diagnostics(recipe("cross_entropy", "flatten dense(3)", "metrics = [auc]\n"))
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("E304", 9, 12)]
    assert "two-class" in diags[0].message


# --------------------------------------------------------------------------- data sources

@pytest.mark.parametrize("name", sorted(SOURCE_ROWS))
def test_source_reads_with_only_its_required_options(name, tmp_path):
    """The schema's defaults fill every option left out, as the checker does."""
    options, rows, shape = SOURCE_ROWS[name](tmp_path)
    assert set(options) == {o.name for o in SOURCES[name].opts if o.required}
    raw = load_source(Call(name, options, Span.unknown()), "classification", tmp_path)
    assert raw.x.shape == (rows,) + shape
    assert raw.y.dtype == np.int64 and raw.y.shape == (rows,)
    assert raw.num_classes >= 2


@pytest.mark.parametrize("code, missing", [
    ("s.register(s.SourceDef('tfrecord'))", "without a reader: ['tfrecord']"),
    ("s.SOURCES.pop('wine')", "without a schema in compiler/sources.py: ['wine']"),
])
def test_a_source_half_added_fails_at_import(code, missing):
    script = (f"from recipec.compiler import sources as s; {code}; "
              "import recipec.runtime.data.sources")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0 and "ImportError" in proc.stderr and missing in proc.stderr


def test_source_schema_is_what_the_checker_reads():
    diags = diagnostics(recipe("cross_entropy", "flatten dense(3)")
                        .replace("source = iris", 'source = csv("d.csv", lable = "y")'))
    assert [(d.code, d.hint) for d in diags] == [("E103", "did you mean `label`?")]
    diags = diagnostics(recipe("cross_entropy", "flatten dense(3)")
                        .replace("source = iris", "source = irsi"))
    assert [(d.code, d.hint) for d in diags] == [("E104", "did you mean `iris`?")]


# --------------------------------------------------------------------------- tasks

def test_task_post_processes_predictions():
    logits = np.array([[0.0, 1.0, 2.0], [5.0, 5.0, 5.0]], np.float32)
    p = TASKS["classification"].predict(logits)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(p[1], 1 / 3, rtol=1e-6)
    assert p[0].argmax() == 2
    assert TASKS["regression"].predict(logits) is logits


# -- augmentations: one row each in compiler/augments/ ---------------------------------------
AUGMENT_ROWS = {"shift": ("augment_shift", "shift(2)", True),
                "flip": ("augment_flip", "flip()", True),
                "rotate": ("augment_rotate", "rotate(10)", True),
                "noise": ("augment_noise", "noise(0.1)", False)}


def _augmented_graph(entry: str, input_shape: str = "[1, 6, 6]"):
    from recipec.compiler.step import build_step_graphs

    text = ('data { source = npz("unused.npz") augment = [' + entry + '] }\n'
            f"model {{ input {input_shape} flatten dense(3) }}\n"
            "loss = cross_entropy\noptimizer = sgd(lr = 0.1)\ntrain { epochs = 1 batch = 4 }\n")
    return build_step_graphs(recipec.loads(text, "aug.recipe"))


def test_augment_table_is_the_registry():
    from recipec.compiler import catalog
    from recipec.compiler.augments import AUGMENTS

    assert set(AUGMENTS) == set(AUGMENT_ROWS) == set(catalog.AUGMENTS)
    for name, row in AUGMENTS.items():
        assert catalog.AUGMENTS[name].opts == row.opts
        assert (name in catalog.IMAGE_AUGMENTS) == row.image == AUGMENT_ROWS[name][2]


@pytest.mark.parametrize("name", sorted(AUGMENT_ROWS))
def test_each_augment_row_builds_its_op_and_nothing_at_zero(name):
    op, entry, _ = AUGMENT_ROWS[name]
    ops = [n.op for n in _augmented_graph(entry).train.nodes]
    assert ops.count(op) == 1
    zero = {"shift": "shift(0)", "rotate": "rotate(0)", "noise": "noise(0)"}.get(name)
    if zero:            # (a flip of no axis is refused by the checker instead)
        assert op not in [n.op for n in _augmented_graph(zero).train.nodes]


@pytest.mark.parametrize("name", [n for n, row in AUGMENT_ROWS.items() if row[2]])
def test_image_augments_on_flat_inputs_are_diagnostics(name):
    with pytest.raises(recipec.RecipeError) as err:
        _augmented_graph(AUGMENT_ROWS[name][1], input_shape="[36]")
    assert err.value.diagnostics and err.value.diagnostics[0].span.line == 1
