"""l1/l2, regularize { }, clip and max_norm in the front end: the checker (errors at the text),
which weights get which run-time inputs, the graph they build (and that a recipe without them
builds the graph it always did), the penalty's gradient against finite differences and its
value against the closed form. Nothing here compiles a kernel (test_regularize.py does)."""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.compiler.check import check_source
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.interpret import run_graph
from recipec.compiler.ir import Graph, TensorType, format_graph
from recipec.compiler.ops import get_op
from recipec.compiler.passes.autodiff import grad
from recipec.compiler.step import build_step_graphs

HEAD = 'data { source = npz("unused.npz") }\ntrain { epochs = 1 batch = 8 }\n'
TAIL = "loss = cross_entropy\noptimizer = sgd(lr = 0.1)\n"


def recipe(model: str, extra: str = "", overrides=()):
    return check_source(HEAD + f"model {{ {model} }}\n" + TAIL + extra, "r.recipe", overrides)


def errors(model: str, extra: str = "", overrides=()):
    with pytest.raises(RecipeError) as e:
        recipe(model, extra, overrides)
    return e.value.diagnostics


def hypers(r) -> dict[str, float]:
    return {h.name: h.value for h in build_step_graphs(r).hypers}


def ops(r) -> list[str]:
    return [n.op for n in build_step_graphs(r).train.nodes]


# -- the checker --------------------------------------------------------------------------
@pytest.mark.parametrize("model,extra,code,col,fragment", [
    ("input [4] dense(3, l2 = -1e-4)", "", "E202", "-1e-4", "l2"),
    ("input [4] dense(3, l1 = -1)", "", "E202", "-1", "l1"),
    ("input [4] dense(3, max_norm = 0)", "", "E202", "0", "max_norm"),
    ("input [4] dense(3, l3 = 1)", "", "E103", "l3", "l3"),
    ("input [4] relu dense(3)", "regularize { l2 = -0.5 }\n", "E202", "-0.5", "l2"),
    ("input [4] dense(3)", "regularize { l3 = 0.5 }\n", "E101", "l3", "l3"),
    ("input [4] dense(3)", "clip = norm(0)\n", "E202", "0", "max_norm"),
    ("input [4] dense(3)", "clip = value(-1)\n", "E202", "-1", "clip_value"),
    ("input [4] dense(3)", "clip = nrom(1)\n", "E104", "nrom", "norm"),
    ("input [4] dense(3)", "clip = norm()\n", "E106", "norm", "max_norm"),
])
def test_bad_values_are_errors_at_the_text(model, extra, code, col, fragment):
    text = HEAD + f"model {{ {model} }}\n" + TAIL + extra
    found = errors(model, extra)
    assert [d.code for d in found] == [code], [(d.code, d.message) for d in found]
    d = found[0]
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.col - 1:].startswith(col), (line, d.span)
    assert fragment in d.message + (d.hint or ""), d.message


def test_relu_and_pooling_take_no_l2():
    found = errors("input [1, 4, 4] maxpool2d(2, l2 = 0.1) flatten dense(3)")
    assert [d.code for d in found] == ["E103"]


def test_regularize_is_a_section_and_clip_a_setting():
    assert [d.code for d in errors("input [4] dense(3)", "regularize = 1\n")] == ["E101"]
    assert [d.code for d in errors("input [4] dense(3)", "clip { max_norm = 1 }\n")] == ["E101"]


def test_checked_recipe_and_overrides():
    r = recipe("input [4] dense(3, l1 = 1e-5)", "regularize { l2 = 1e-4 }\nclip = norm(2)\n",
               overrides=["clip.max_norm=3", "regularize.l1=0.5", "model.dense_1.max_norm=4"])
    assert r.regularize == {"l1": 0.5, "l2": 1e-4}
    assert r.clip.kind == "norm" and r.clip["max_norm"] == 3.0
    assert r.model.layers[0].options["max_norm"] == 4.0
    assert recipe("input [4] dense(3)", "clip = value(0.5)\n").clip.options == {
        "clip_value": 0.5}


# -- which weights, which inputs ----------------------------------------------------------
CONV = "input [1, 6, 6] conv2d(2, 3, l2 = 1e-3, max_norm = 2) relu flatten dense(5) " \
       "residual { dense(5, l1 = 0) } dense(3)"


def test_layers_own_values_replace_the_global_ones_and_biases_stay_free():
    r = recipe(CONV, "regularize { l1 = 1e-5  l2 = 1e-4 }\n")
    graphs = build_step_graphs(r)
    got = {p.param: (p.l1, p.l2) for p in graphs.penalties}
    assert got == {"conv2d_1.weight": ("model.conv2d_1.l1", "model.conv2d_1.l2"),
                   "dense_1.weight": ("regularize.l1", "regularize.l2"),
                   "dense_3.weight": ("regularize.l1", "regularize.l2")}
    # dense_2 sets l1 = 0 (and so l2 = 0): exempt, no op; no bias is ever regularised
    h = hypers(r)
    assert h["model.conv2d_1.l1"] == 0.0 and h["model.conv2d_1.l2"] == 1e-3
    assert h["regularize.l1"] == 1e-5 and h["regularize.l2"] == 1e-4
    assert "model.dense_2.l1" not in h
    grads = [n for n in graphs.train.nodes if n.op == "l1l2_penalty_grad"]
    assert sorted(n.inputs[0].name for n in grads) == sorted(got)
    norms = [n for n in graphs.train.nodes if n.op == "max_norm"]
    assert [(n.inputs[0].name, n.attrs["out_axis"]) for n in norms] == [("conv2d_1.weight", 0)]
    assert h["model.conv2d_1.max_norm"] == 2.0


def test_max_norm_follows_every_update_and_clip_precedes_them():
    r = recipe("input [4] dense(6, max_norm = 3) relu dense(3, max_norm = 1)",
               "clip = norm(1)\n")
    names = ops(r)
    updates = [i for i, op in enumerate(names) if op == "sgd_update"]
    coef = names.index("clip_norm_coef")
    assert coef < min(updates)
    assert names.count("clip_scale") == 4                  # every parameter, biases included
    norms = [i for i, op in enumerate(names) if op == "max_norm"]
    assert len(norms) == 2 and min(norms) > max(updates)
    dense = [n for n in build_step_graphs(r).train.nodes if n.op == "max_norm"]
    assert {n.attrs["out_axis"] for n in dense} == {1}     # dense weights are [in, out]
    assert names.count("clip_value") == 0


def test_clip_value_clamps_every_gradient():
    r = recipe("input [4] dense(6) relu dense(3)", "clip = value(0.25)\n")
    assert ops(r).count("clip_value") == 4
    assert hypers(r)["clip.clip_value"] == 0.25


@pytest.mark.parametrize("model,extra", [
    ("input [4] dense(6) relu dense(3)", ""),
    ("input [4] dense(6, l1 = 0, l2 = 0) relu dense(3)", "regularize { l1 = 0 }\n"),
    (CONV, ""),
])
def test_unused_options_build_the_graph_they_built_before(model, extra):
    plain = build_step_graphs(recipe(model.replace(", l1 = 0, l2 = 0", "")
                                     .replace(", l2 = 1e-3, max_norm = 2", "")
                                     .replace(", l1 = 0", "")))
    other = build_step_graphs(recipe(model, extra))
    if "max_norm" in model:       # CONV regularises and constrains: it must differ
        assert format_graph(other.train) != format_graph(plain.train)
        return
    assert format_graph(other.train) == format_graph(plain.train)
    assert other.hypers == plain.hypers and other.penalties == []


# -- the math ------------------------------------------------------------------------------
def test_penalty_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    g = Graph()
    w = g.input("w", TensorType((4, 5), "float64"), "param")
    l1 = g.input("l1", TensorType((), "float64"), "hyper")
    l2 = g.input("l2", TensorType((), "float64"), "hyper")
    loss = g.add("l1l2_penalty", w, l1, l2)
    g.outputs = {"loss": loss, "grad": grad(g, loss, [w])[w.id]}
    x = rng.uniform(0.2, 2.0, (4, 5)) * rng.choice([-1.0, 1.0], (4, 5))   # away from the kink
    feeds = {"w": x, "l1": np.float64(0.03), "l2": np.float64(0.2)}
    analytic = run_graph(g, feeds)["grad"]
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric[i] = (float(run_graph(g, {**feeds, "w": up})["loss"])
                      - float(run_graph(g, {**feeds, "w": down})["loss"])) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5)
    np.testing.assert_allclose(analytic, 0.03 * np.sign(x) + 0.4 * x, rtol=1e-6)


def test_reported_penalty_is_the_closed_form_and_non_negative():
    r = recipe(CONV, "regularize { l1 = 1e-3  l2 = 1e-2 }\n")
    graphs = build_step_graphs(r)
    rng = np.random.default_rng(3)
    weights = {v.name: rng.standard_normal(tuple(v.shape)).astype(np.float32)
               for v in graphs.train.by_role("param")}
    values = np.array([h.value for h in graphs.hypers])
    want = (1e-3 * (np.abs(weights["dense_1.weight"].astype(np.float64)).sum()
                    + np.abs(weights["dense_3.weight"].astype(np.float64)).sum())
            + 1e-2 * ((weights["dense_1.weight"].astype(np.float64) ** 2).sum()
                      + (weights["dense_3.weight"].astype(np.float64) ** 2).sum())
            + 1e-3 * (weights["conv2d_1.weight"].astype(np.float64) ** 2).sum())
    got = graphs.penalty(weights, values)
    assert got == pytest.approx(want, rel=1e-12) and got >= 0
    assert build_step_graphs(recipe("input [4] dense(3)")).penalty(weights, []) is None


def test_clip_references_match_torchs_definitions():
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4).astype(
        np.float32)]
    total = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
    coef = get_op("clip_norm_coef").reference(*grads, np.float64(1.0))
    assert coef == pytest.approx(1.0 / (total + 1e-6), rel=1e-6) and coef < 1
    assert get_op("clip_norm_coef").reference(*grads, np.float64(100.0)) == 1.0
    clamped = get_op("clip_value").reference(grads[0], np.float64(0.5))
    np.testing.assert_array_equal(clamped, np.clip(grads[0], -0.5, 0.5))


def test_max_norm_reference_is_keras_maxnorm():
    rng = np.random.default_rng(2)
    w = (3 * rng.standard_normal((5, 4))).astype(np.float32)    # dense [in, out]
    w0 = w.copy()
    get_op("max_norm").reference(w, np.float64(2.0), out_axis=1)
    norms = np.sqrt((w0.astype(np.float64) ** 2).sum(axis=0))
    np.testing.assert_allclose(w, w0 * (np.minimum(norms, 2.0) / (1e-7 + norms)), rtol=1e-6)
    assert np.sqrt((w.astype(np.float64) ** 2).sum(axis=0)).max() <= 2.0 + 1e-5
    conv = (3 * rng.standard_normal((3, 2, 3, 3))).astype(np.float32)   # [F, C, K, K]
    get_op("max_norm").reference(conv, np.float64(1.5), out_axis=0)
    assert np.sqrt((conv.astype(np.float64) ** 2).sum(axis=(1, 2, 3))).max() <= 1.5 + 1e-5


def test_loads_api_takes_the_new_syntax():
    text = HEAD + "model { input [4] dense(3, l2 = 1e-4) }\n" + TAIL + "clip = norm(1.0)\n"
    assert recipec.loads(text, "x.recipe").clip.kind == "norm"


def test_progress_line_shows_the_penalty_beside_the_data_loss():
    import io

    from recipec.runtime.program import EpochRecord
    from recipec.runtime.progress import ProgressLine

    out = io.StringIO()
    line = ProgressLine(out)
    line.start(None, 2, 10)
    line.epoch_end(EpochRecord(1, {"loss": 0.5}, None, 1.0, 10, 0.1, penalty=0.0123))
    line.epoch_end(EpochRecord(2, {"loss": 0.4}, None, 1.0, 10, 0.1))
    first, second = out.getvalue().splitlines()
    assert "loss 0.5000" in first and first.endswith("penalty 0.0123")
    assert "penalty" not in second
