"""`prune { ... }` (compiler/prune.py, runtime/prune.py): the static checks at their line:col;
the gradual schedule's arithmetic; the masked step against the numpy reference; masked
weights and their optimizer slots exactly zero after fine-tuning with every optimizer; the
sparsity per layer and global; an interrupted phase resumed bitwise; the report, the model
artefact and the ONNX export of a pruned model."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hostile import accepted, cli, line_col, refused, write
from oracle import HEADER, assert_steps_match_reference, random_batches

import recipec
from recipec.compiler.options import Duration
from recipec.compiler.recipe import PruneSpec
from recipec.compiler.diagnostics import Span
from recipec.runtime.prune import PruneSchedule, run_phase, set_masks

DIGITS = """\
recipe p
data {{ source = digits()  normalize = standard  validation = 0.2 }}
model {{
  input [64]
  dense(24) relu
  dense(16{freeze}) tanh
  dense(10)
}}
loss = cross_entropy
optimizer = {optimizer}
train {{ epochs = 2  batch = 32  seed = 1{train} }}
prune {{ {prune} }}
"""


def recipe_text(prune="sparsity = 0.6  schedule = gradual(over = 30 steps, every = 7 steps) "
                      "finetune = 20 steps",
                optimizer="sgd(lr = 0.05, momentum = 0.9, weight_decay = 1e-3)", freeze="",
                train=""):
    return DIGITS.format(prune=prune, optimizer=optimizer, freeze=freeze, train=train)


# -- the static check ------------------------------------------------------------------------
@pytest.mark.frontend
@pytest.mark.parametrize("prune, code, needle, mentions", [
    ("sparsity = 1.0", "E202", "1.0", "sparsity"),
    ("sparsity = -0.1", "E202", "-0.1", "sparsity"),
    ("sparsity = 0.5  layers = [dense_4]", "E102", "dense_4", "did you mean"),
    ("sparsity = 0.5  layers = [relu_1]", "E102", "relu_1", "no weight to prune"),
    ("sparsity = 0.5  layers = [dense_1, dense_1]", "E105", "dense_1]", "twice"),
    ("sparsity = 0.5  schedule = gradual(from = 0.7, over = 2 epochs)", "E202", "gradual",
     "a mask only grows"),
    ("sparsity = 0.5  schedule = gradual(over = 3)", "E201", "3)", "add a unit"),
    ("sparsity = 0.5  schedule = cubic(over = 3 epochs)", "E104", "cubic", "gradual"),
    ("sparsity = 0.5  method = l1_filter", "E104", "l1_filter", "l1_filters"),
    ("sparsity = 0.5  scope = all", "E104", "all", "per_layer"),
    ("sparsity = 0.5  finetune = 0 epochs", "E202", "0 epochs", ">= 1"),
    ("sparsity = 0.5  lr = 0", "E202", "0 }", "lr must be > 0"),
    ("sparsty = 0.5", "E101", "sparsty", "did you mean `sparsity`"),
    ("method = magnitude", "E106", "prune {", "sparsity"),
])
def test_bad_prune_sections_are_refused_where_written(tmp_path, prune, code, needle, mentions):
    text = recipe_text(prune)
    path = write(tmp_path, "p.recipe", text)
    out = cli("check", path)
    refused(out, code, mentions=mentions)
    # where the needle is in the prune line (the last line)
    head = text.rindex("prune {")
    line, col = line_col(text[head:], needle)
    line += text.count("\n", 0, head)
    assert (line, col) in {(int(m["line"]), int(m["col"])) for m in out.diagnostics()}, out.err


@pytest.mark.frontend
def test_a_frozen_layer_cannot_be_pruned(tmp_path):
    text = recipe_text("sparsity = 0.5  layers = [dense_2]", freeze=", freeze = true")
    out = cli("check", write(tmp_path, "p.recipe", text))
    refused(out, "E102", at=line_col(text, "dense_2]"), mentions="frozen")


@pytest.mark.frontend
def test_prune_beside_a_search_is_refused(tmp_path):
    text = recipe_text("sparsity = 0.5").replace("lr = 0.05", "lr = loguniform(1e-3, 1e-1)")
    out = cli("check", write(tmp_path, "p.recipe", text))
    refused(out, "E201", at=line_col(text, "prune"), mentions="recipec run")


@pytest.mark.frontend
def test_the_checked_section_names_the_weights_in_model_order():
    recipe = recipec.loads(recipe_text("sparsity = 0.5  layers = [dense_3, dense_1]  "
                                       "scope = global"), "p.recipe")
    spec = recipe.prune
    assert spec.weights == ("dense_1.weight", "dense_3.weight")
    assert (spec.schedule, spec.scope, spec.over, spec.finetune) == ("oneshot", "global",
                                                                     None, None)
    # default: every trained layer with a weight; a frozen one is left out
    frozen = recipec.loads(recipe_text("sparsity = 0.5", freeze=", freeze = true"), "p.recipe")
    assert frozen.prune.weights == ("dense_1.weight", "dense_3.weight")


@pytest.mark.frontend
def test_recipec_check_prints_the_prune_section(tmp_path):
    text = recipe_text("sparsity = 0.8  schedule = gradual(over = 2 epochs)  finetune = 1 "
                       "epochs  layers = [dense_2]  lr = 0.01")
    out = cli("check", write(tmp_path, "p.recipe", text))
    accepted(out)
    assert ("prune      magnitude to 0.8 (per layer): gradual(from = 0, over = 2 epochs, "
            "every = 100 steps), finetune 1 epochs, lr = 0.01; dense_2.weight") in out.out


# -- the schedule ----------------------------------------------------------------------------
def _spec(sparsity=0.8, initial=0.0, over=Duration(10, "steps"), every=Duration(3, "steps"),
          finetune=Duration(5, "steps")):
    return PruneSpec("magnitude", sparsity, "gradual" if over else "oneshot", initial, over,
                     every, "per_layer", ("dense_1.weight",), finetune, None, Span.unknown())


@pytest.mark.frontend
def test_gradual_follows_the_cubic_ramp_and_stops_chunks_at_its_masks():
    s = PruneSchedule.of(_spec(initial=0.2), start=100, steps_per_epoch=4)
    assert (s.ramp, s.end, s.every) == (10, 115, 3)
    assert [t for t in range(-2, 16) if s.is_update(t)] == [0, 3, 6, 9, 10]
    assert s.sparsity_at(0) == pytest.approx(0.2)
    assert s.sparsity_at(5) == pytest.approx(0.8 + (0.2 - 0.8) * 0.5 ** 3)
    assert s.sparsity_at(10) == s.sparsity_at(12) == pytest.approx(0.8)
    values = [s.sparsity_at(t) for t in range(11)]
    assert values == sorted(values)                         # a mask only grows
    # the steps fit stops its chunks at: every mask, none after the ramp
    assert [s.next_step(step) for step in (90, 99, 100, 102, 103, 108, 109, 110)] == \
        [100, 100, 103, 103, 106, 109, 110, None]
    once = PruneSchedule.of(_spec(over=None), start=40, steps_per_epoch=4)
    assert (once.ramp, once.end) == (0, 45)
    assert [t for t in range(-1, 6) if once.is_update(t)] == [0]
    assert once.sparsity_at(0) == 0.8 and once.next_step(39) == 40 and once.next_step(40) is None
    # durations in epochs count the data's steps per epoch
    epochs = PruneSchedule.of(_spec(over=Duration(2, "epochs"), every=Duration(1, "epochs"),
                                    finetune=Duration(1, "epochs")), 0, 7)
    assert (epochs.ramp, epochs.end, epochs.every) == (14, 21, 7)


# -- the compiled step -----------------------------------------------------------------------
def _small(optimizer="sgd(lr = 0.1, momentum = 0.9)"):
    text = HEADER + ("model { input [5] dense(6) relu dense(3) }\nloss = cross_entropy\n"
                     f"optimizer = {optimizer}\nprune {{ sparsity = 0.5 }}\n")
    return recipec.compile(recipec.loads(text, "small.recipe"))


def test_masked_steps_match_the_reference():
    program = _small("adam(lr = 0.01, weight_decay = 1e-3)")
    x, y = random_batches(program, 8 * 3, np.random.default_rng(0))
    set_masks(program, program.recipe.prune, 0.5)
    masks = {s.mask_of: program.state.named(program.graphs)[s.name].copy()
             for s in program.graphs.stats if s.mask_of}
    assert {m.sum() for m in masks.values()} == {15.0, 9.0}       # 30 and 18 weights, halved
    assert_steps_match_reference(program, x, y, batch=8, steps=3, change_rtol=1e-4)
    named = program.state.named(program.graphs)
    for weight, mask in masks.items():
        assert not named[weight][mask == 0].any()
        assert named[weight][mask == 1].all()


def test_a_recipe_without_prune_builds_no_mask():
    text = HEADER + "model { input [5] dense(6) relu dense(3) }\nloss = cross_entropy\n" \
                    "optimizer = sgd(lr = 0.1)\n"
    program = recipec.compile(recipec.loads(text, "plain.recipe"))
    assert not any(n.op == "apply_mask" for n in program.graphs.train.nodes)
    assert not any(s.mask_of for s in program.graphs.stats)


# -- the phase -------------------------------------------------------------------------------
OPTIMIZERS = ["sgd(lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 1e-3)",
              "adam(lr = 1e-2, beta1 = 0.8)", "adamw(lr = 1e-2, weight_decay = 0.05)",
              "rmsprop(lr = 1e-3, momentum = 0.5)", "adagrad(lr = 0.05)", "nadam(lr = 1e-2)"]


@pytest.mark.cpu
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o.split("(")[0])
def test_masked_weights_and_slots_stay_exactly_zero(optimizer):
    recipe = recipec.loads(recipe_text(optimizer=optimizer), "p.recipe")
    program = recipec.compile(recipe)
    program.fit()
    trained = program.state.named(program.graphs)
    before = {w: trained[w].copy() for w in recipe.prune.weights}
    history, report = run_phase(program)
    assert history.steps == 50 and program.step == 2 * program.steps_per_epoch + 50
    named = program.state.named(program.graphs)
    slots = [s.name for s in program.graphs.slots]
    for w in recipe.prune.weights:
        mask = named[f"{w}:mask"]
        n = mask.size
        assert n - np.count_nonzero(mask) == int(np.floor(0.6 * n + 0.5))   # per layer
        assert not named[w][mask == 0].any(), w
        kept = mask == 1
        assert (named[w][kept] != before[w][kept]).mean() > 0.9, "the rest was fine-tuned"
        for slot in slots:
            if slot.startswith(w + ":") and slot != f"{w}:mask" and \
                    named[slot].shape == mask.shape:
                assert not named[slot][mask == 0].any(), slot
    assert report["layers"]["dense_2.weight"]["sparsity"] == pytest.approx(0.6, abs=1 / 384)
    assert report["steps"] == 50 and report["ramp_steps"] == 30


@pytest.mark.cpu
def test_global_scope_prunes_to_the_total_sparsity_by_one_threshold():
    recipe = recipec.loads(recipe_text("sparsity = 0.7  scope = global"), "p.recipe")
    program = recipec.compile(recipe)
    program.fit()
    state = program.state.named(program.graphs)
    everything = np.concatenate([np.abs(state[w]).ravel() for w in recipe.prune.weights])
    _, report = run_phase(program)                         # oneshot, no fine-tuning
    total = everything.size
    assert sum(v["zeros"] for v in report["layers"].values()) == int(np.floor(0.7 * total + .5))
    threshold = np.sort(everything)[int(np.floor(0.7 * total + .5)) - 1]
    named = program.state.named(program.graphs)
    for w in recipe.prune.weights:                    # zero exactly where |w| <= the threshold
        np.testing.assert_array_equal(named[f"{w}:mask"] == 0, np.abs(state[w]) <= threshold)
    sparsities = {v["sparsity"] for v in report["layers"].values()}
    assert len(sparsities) == 3                       # one threshold, not one share per layer
    assert report["steps"] == 0


# -- through `recipec run` -------------------------------------------------------------------
@pytest.mark.cpu
def test_an_interrupted_phase_resumes_bitwise_and_the_pruned_model_ships(tmp_path):
    from recipec.runtime import checkpoint
    from safetensors.numpy import load_file

    text = recipe_text(train="  checkpoint = 9 steps  keep = 1000")
    path = write(tmp_path, "p.recipe", text)
    whole = cli("run", path, "--no-store", "--checkpoints", tmp_path / "ck", "--model",
                tmp_path / "whole", "--report", tmp_path / "whole.json")
    accepted(whole)
    assert "prune: magnitude (per layer) to sparsity 0.6" in whole.err
    assert "(before pruning -> after)" in whole.err
    report = json.loads((tmp_path / "whole.json").read_text())["prune"]
    start = report["start_step"]
    assert start == 2 * 45 and report["steps"] == 50
    assert set(report["before"]) == set(report["after"]) == {"validation"}
    assert report["sparsity"] == pytest.approx(0.6, abs=1e-2)
    history = json.loads((tmp_path / "whole.json").read_text())["history"]
    assert len(history) == 4                           # 2 epochs of training, then the phase's
    # a checkpoint inside the ramp, between two masks
    mid = next(p for p in sorted(checkpoint.checkpoints(tmp_path / "ck"))
               if start + 10 < int(checkpoint.NAME.match(p.name)[1]) < start + 30)
    resumed = cli("run", path, "--no-store", "--resume", mid, "--model", tmp_path / "resumed",
                  "--report", tmp_path / "resumed.json")
    accepted(resumed)
    a = load_file(tmp_path / "whole" / "model.safetensors")
    b = load_file(tmp_path / "resumed" / "model.safetensors")
    assert set(a) == set(b) and any(k.endswith(":mask") for k in a)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    again = json.loads((tmp_path / "resumed.json").read_text())["prune"]
    assert again["before"] == report["before"] and again["after"] == report["after"]
    # the pruned model evaluates as the run did, and exports
    model = recipec.load_model(tmp_path / "whole")
    assert model.evaluate("validation")["accuracy"] == pytest.approx(
        report["after"]["validation"]["accuracy"])


@pytest.mark.cpu
def test_a_pruned_model_exports_its_weights_sparse_and_runs_in_onnxruntime(tmp_path):
    onnx = pytest.importorskip("onnx", reason="onnx is in the test extra")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is in the test extra")
    from recipec.runtime.model import save_model

    pruned = recipec.loads(recipe_text("sparsity = 0.9  layers = [dense_1, dense_2]"),
                           "p.recipe")
    program = recipec.compile(pruned)
    program.fit()
    run_phase(program)                          # oneshot: masks set, no step after them
    folder = save_model(program, tmp_path / "model")
    out = tmp_path / "p.onnx"
    accepted(cli("export", folder, "--format", "onnx", "-o", out))
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    sparse = [a.sparse_tensor for n in model.graph.node if n.op_type == "Constant"
              for a in n.attribute if a.name == "sparse_value"]
    assert len(sparse) == 2                     # dense_3 is not pruned: a dense initialiser
    named = program.state.named(program.graphs)
    for t in sparse:
        assert t.values.dims[0] == np.count_nonzero(
            named["dense_1.weight" if list(t.dims) == [64, 24] else "dense_2.weight"])
    from sklearn.datasets import load_digits
    x = load_digits().data[::37].astype(np.float32)           # raw, as predict() takes them
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    want = recipec.load_model(folder).predict(x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.frontend
def test_set_overrides_the_prune_section():
    text = recipe_text("sparsity = 0.5  schedule = gradual(2 epochs)")
    recipe = recipec.loads(text, "p.recipe", ["prune.sparsity=0.9", "prune.scope=global",
                                              "prune.schedule.over=3epochs",
                                              "prune.layers=[dense_3]"])
    spec = recipe.prune
    assert (spec.sparsity, spec.scope, spec.over, spec.weights) == \
        (0.9, "global", Duration(3, "epochs"), ("dense_3.weight",))
    with pytest.raises(recipec.RecipeError, match="sparsity must be in"):
        recipec.loads(text, "p.recipe", ["prune.sparsity=1.5"])


@pytest.mark.cpu
def test_an_epoch_the_phase_finishes_is_one_row_of_the_run_store(tmp_path):
    """`steps = 70` stops the training part way through epoch 2 (45 steps an epoch); the
    phase finishes it: one epoch record and one row, the steps summed."""
    import sqlite3

    text = recipe_text("sparsity = 0.5  finetune = 40 steps").replace("epochs = 2", "steps = 70")
    path = write(tmp_path, "p.recipe", text)
    out = cli("run", path, "--runs", tmp_path / "runs", "--report", tmp_path / "r.json")
    accepted(out)
    history = json.loads((tmp_path / "r.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    (store,) = (tmp_path / "runs").glob("*.sqlite*")
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT epoch, steps FROM epochs ORDER BY epoch").fetchall()
    assert rows == [(1, 45), (2, 45), (3, 20)]


@pytest.mark.cpu
def test_after_early_stopping_the_phase_prunes_the_restored_best_state(tmp_path):
    """early_stop ends the training and puts back its best epoch; the phase starts there,
    with early stopping off (it would otherwise stop the fine-tuning at once)."""
    text = recipe_text("sparsity = 0.5  finetune = 2 epochs").replace(
        "epochs = 2", "epochs = 40") + "early_stop { monitor = val_loss  patience = 0 }\n"
    recipe = recipec.loads(text, "p.recipe")
    program = recipec.compile(recipe)
    history = program.fit()
    assert history.stopped_epoch is not None and history.stopped_epoch < 40
    stopped = program.step
    phase, report = run_phase(program)
    assert report["start_step"] == stopped and phase.steps == 90 and phase.stopped_epoch is None
    assert program.step == stopped + 90


@pytest.mark.cpu
def test_each_fold_of_a_kfold_recipe_is_pruned(tmp_path):
    text = recipe_text("sparsity = 0.5").replace("validation = 0.2", "validation = kfold(3)")
    out = cli("run", write(tmp_path, "p.recipe", text), "--no-store", "--quiet",
              "--model", tmp_path / "m", "--report", tmp_path / "r.json")
    accepted(out)
    runs = json.loads((tmp_path / "r.json").read_text())["runs"]
    assert len(runs) == 3
    for run in runs:
        assert run["prune"]["sparsity"] == pytest.approx(0.5, abs=1e-2)
        assert run["prune"]["after"]["validation"] == run["final"]["validation"]


# -- l1_filters: whole units, cut out of the saved model -----------------------------------
IMAGES = """\
recipe s
data {{ source = digits()  reshape = [1, 8, 8]  normalize = standard  validation = 0.2 }}
model {{ input [1, 8, 8] conv2d(6, 3, padding = same) relu maxpool2d(2) flatten
        dense(16){between} relu dense(10) }}
loss = cross_entropy
optimizer = sgd(lr = 0.05, momentum = 0.9)
train {{ epochs = 2  batch = 32  seed = 3 }}
prune {{ method = l1_filters  sparsity = 0.5  schedule = gradual(20 steps, every = 5 steps)
        finetune = 20 steps{more} }}
"""


@pytest.mark.frontend
@pytest.mark.parametrize("more, code, mentions", [
    ("  scope = global", "E201", "per_layer"),
    ("  layers = [dense_2]", "E102", "model's outputs"),
])
def test_l1_filters_is_refused_where_it_cannot_remove_units(tmp_path, more, code, mentions):
    text = IMAGES.format(between="", more=more)
    refused(cli("check", write(tmp_path, "s.recipe", text)), code, mentions=mentions)


@pytest.mark.frontend
def test_l1_filters_prunes_every_layer_but_the_output_one_by_default():
    recipe = recipec.loads(IMAGES.format(between="", more=""), "s.recipe")
    assert recipe.prune.weights == ("conv2d_1.weight", "dense_1.weight")


@pytest.mark.cpu
def test_l1_filters_removes_whole_units_and_the_saved_model_is_smaller(tmp_path):
    from sklearn.datasets import load_digits
    from recipec.runtime.model import save_model
    from recipec.runtime.prune_shrink import shrink

    program = recipec.compile(recipec.loads(IMAGES.format(between="", more=""), "s.recipe"))
    program.fit()
    _, report = run_phase(program)
    assert report["layers"]["conv2d_1.weight"]["units"] == [3, 6]
    assert report["layers"]["dense_1.weight"]["units"] == [8, 16]
    named = program.state.named(program.graphs)
    filters = named["conv2d_1.weight:mask"].reshape(6, -1)
    assert set(filters.min(axis=1)) == {0.0, 1.0}
    assert (filters.min(axis=1) == filters.max(axis=1)).all()        # whole filters
    gone = filters[:, 0] == 0
    assert not named["conv2d_1.weight"][gone].any() and not named["conv2d_1.bias"][gone].any()
    assert not named["conv2d_1.weight:velocity"][gone].any()
    tensors = {t.name: named[t.name] for t in (*program.graphs.params, *program.graphs.stats)}
    overrides, smaller, notes = shrink(program, tensors)
    assert overrides == ["model.conv2d_1.filters=3", "model.dense_1.units=8"]
    assert smaller["dense_1.weight"].shape == (3 * 16, 8)      # 3 filters of 4x4 after the pool
    folder = save_model(program, tmp_path / "m", overrides, tensors=smaller)
    x = load_digits().data[::23]
    model = recipec.load_model(folder)
    np.testing.assert_allclose(model.predict(x), program.predict(x), rtol=1e-5, atol=1e-6)
    onnx = pytest.importorskip("onnx", reason="onnx is in the test extra")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is in the test extra")
    out = tmp_path / "s.onnx"
    accepted(cli("export", folder, "--format", "onnx", "-o", out))
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0]
    np.testing.assert_allclose(got, program.predict(x), rtol=1e-4, atol=1e-5)


@pytest.mark.cpu
def test_units_before_a_batch_norm_stay_masked_and_the_run_says_so(tmp_path):
    text = IMAGES.format(between=" batchnorm", more="  layers = [dense_1]")
    path = write(tmp_path, "s.recipe", text)
    out = cli("run", path, "--no-store", "--model", tmp_path / "m", "--report",
              tmp_path / "r.json")
    accepted(out)
    assert "dense_1: its 8 removed units stay, masked: batchnorm_1 (batchnorm) does not map " \
           "0 to 0" in out.err
    shrunk = json.loads((tmp_path / "r.json").read_text())["prune"]["shrunk"]
    assert shrunk["overrides"] == [] and shrunk["parameters"][0] == shrunk["parameters"][1]
    model = json.loads((tmp_path / "m" / "model.json").read_text())
    assert model["tensors"]["dense_1.weight"] == [96, 16]
