"""Initialisers (`init = ...`, `bias_init = ...`): the registry against the runtime's draws,
the statistics of what each new one draws on large layers, determinism, and bad options
refused by the checker at their text. No kernel is compiled (the IR is built, never lowered).
"""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from hostile import cli, line_col, refused, write
from recipec.compiler.check import check_source
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.inits import INITS
from recipec.compiler.step import build_step_graphs
from recipec.runtime.init import DRAWS, TRUNCATED_STD, init_params


def _recipe(model: str) -> str:
    return (f'data {{ source = npz("unused.npz") }}\nmodel {{\n  {model}\n}}\n'
            "loss = cross_entropy\noptimizer = sgd(lr = 0.1)\ntrain { epochs = 1 }\n")


def weights(model: str, seed: int = 0) -> dict[str, np.ndarray]:
    graphs = build_step_graphs(recipec.loads(_recipe(model), "init.recipe"))
    return {p.name: a for p, a in zip(graphs.params, init_params(graphs.params, seed))}


def test_every_initialiser_has_a_draw():
    # "ones" is batchnorm's own (its scale), never a recipe's
    assert set(DRAWS) == set(INITS) | {"ones"}


def test_lecun_normal_is_keras_truncated_normal_with_std_sqrt_one_over_fan_in():
    w = weights("input [400] dense(500, init = lecun_normal) dense(3)")["dense_1.weight"]
    std = np.sqrt(1 / 400)
    assert abs(w.mean()) < 0.01 * std
    assert abs(w.std() / std - 1) < 0.01                # 200,000 draws: ~0.2 % sampling error
    assert np.abs(w).max() <= 2 * std / TRUNCATED_STD * (1 + 1e-6)
    assert np.abs(w).max() > 1.9 * std / TRUNCATED_STD   # the tails reach the cut


@pytest.mark.parametrize("text, std", [("truncated_normal", 0.05),
                                       ("truncated_normal(0.3)", 0.3),
                                       ("truncated_normal(std = 2)", 2.0)])
def test_truncated_normal_is_cut_at_two_std(text, std):
    w = weights(f"input [300] dense(400, init = {text}) dense(3)")["dense_1.weight"]
    assert np.abs(w).max() <= 2 * std * (1 + 1e-6)
    assert np.abs(w).max() > 1.99 * std
    assert abs(w.mean()) < 0.01 * std
    # a normal cut at +-2 std keeps 0.8796 of its std (Keras' TruncatedNormal, trunc_normal_)
    assert abs(w.std() / (std * TRUNCATED_STD) - 1) < 0.01
    # the shape of a cut normal, not a uniform or a clipped one: its fourth moment
    z = w / (std * TRUNCATED_STD)
    assert abs(np.mean(z ** 4) - 2.3636) < 0.05, np.mean(z ** 4)   # uniform 1.8, normal 3


def test_truncated_normal_matches_torchs_trunc_normal_in_distribution():
    torch = pytest.importorskip("torch", reason="the PyTorch comparison needs torch installed")
    torch.manual_seed(0)
    theirs = torch.nn.init.trunc_normal_(torch.empty(200_000), std=0.1, a=-0.2, b=0.2).numpy()
    ours = weights("input [400] dense(500, init = truncated_normal(0.1)) dense(3)")
    ours = np.sort(ours["dense_1.weight"].ravel())
    quantiles = np.linspace(0.01, 0.99, 99)
    np.testing.assert_allclose(np.quantile(ours, quantiles), np.quantile(theirs, quantiles),
                               atol=0.004)             # 4 % of std, ~5x the sampling noise


@pytest.mark.parametrize("fan_in, units", [(40, 30), (30, 40), (25, 25)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_dense_weight(fan_in, units, gain):
    """Over the [out, fan_in] matrix (the transpose of dense's stored [fan_in, units]): rows
    orthonormal times gain when it is wide, columns when it is tall (orthogonal_'s rule)."""
    w = weights(f"input [{fan_in}] dense({units}, init = orthogonal({gain})) dense(3)")
    m = w["dense_1.weight"].T.astype(np.float64)            # [units, fan_in]
    gram = m @ m.T if units <= fan_in else m.T @ m
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(units, fan_in)), atol=2e-6 * gain ** 2)


def test_orthogonal_conv_weight_is_orthogonal_over_filters():
    w = weights("input [3, 8, 8] conv2d(4, 3, init = orthogonal(gain = 0.5)) flatten dense(3)")
    m = w["conv2d_1.weight"].reshape(4, -1).astype(np.float64)   # [filters, C * k * k]
    np.testing.assert_allclose(m @ m.T, 0.25 * np.eye(4), atol=1e-6)


def test_orthogonal_is_not_a_fixed_matrix():
    """Different parameters and different seeds draw different orthogonal matrices."""
    a = weights("input [20] dense(20, init = orthogonal) dense(20, init = orthogonal)")
    b = weights("input [20] dense(20, init = orthogonal) dense(20, init = orthogonal)", seed=1)
    first, second = a["dense_1.weight"], a["dense_2.weight"]
    assert not np.allclose(first, second) and not np.allclose(first, b["dense_1.weight"])
    assert not np.allclose(np.abs(first), np.eye(20))


def test_constant_is_exact():
    w = weights("input [5] dense(7, init = constant(0.1), bias_init = constant(v = -2.5)) "
                "dense(3)")
    assert (w["dense_1.weight"] == np.float32(0.1)).all()
    assert (w["dense_1.bias"] == np.float32(-2.5)).all()
    assert w["dense_1.weight"].dtype == np.float32


@pytest.mark.parametrize("init", ["lecun_normal", "truncated_normal(0.2)", "orthogonal(1.5)",
                                  "he", "xavier"])
def test_same_seed_same_weights(init):
    model = f"input [1, 6, 6] conv2d(3, 3, init = {init}) flatten dense(4, init = {init})"
    a, b, c = weights(model, 7), weights(model, 7), weights(model, 8)
    for name in a:
        assert np.array_equal(a[name], b[name]), name
    assert not np.array_equal(a["dense_1.weight"], c["dense_1.weight"])


def test_bare_names_and_defaults_still_check():
    r = check_source(_recipe("input [4] dense(8, init = glorot) dense(3)"), "t.recipe")
    first, second = r.model.layers
    assert (first.options["init"].kind, first.options["bias_init"].kind) == ("glorot", "zeros")
    assert second.options["init"].kind == "he"                     # the default
    r = check_source(_recipe("input [4] dense(8) dense(3)"), "t.recipe",
                     ["model.dense_1.init=truncated_normal(0.2)"])
    init = r.model.layers[0].options["init"]
    assert (init.kind, init.options) == ("truncated_normal", {"std": 0.2})


def _errors(text: str):
    with pytest.raises(RecipeError) as e:
        check_source(text, "t.recipe")
    return [(d.code, d.span.line, d.span.col, f"{d.message} {d.hint}")
            for d in e.value.diagnostics]


# model, code, the text the diagnostic points at (first found in the model), words it must say
BAD = [
    ("input [4] dense(3, init = constant)", "E106", "constant", "missing required option `v`"),
    ("input [4] dense(3, init = constant(abc))", "E201", "abc", "expected a number"),
    ("input [4] dense(3, init = constant(1, 2))", "E203", "2)", "too many positional"),
    ("input [4] dense(3, init = truncated_normal(0))", "E202", "0)", "std must be > 0, got 0"),
    ("input [4] dense(3, init = truncated_normal(std = -1))", "E202", "-1", "std must be > 0"),
    ("input [4] dense(3, init = orthogonal(gain = 0))", "E202", "0)", "gain must be > 0"),
    ("input [4] dense(3, init = orthogonal(gan = 2))", "E103", "gan", "did you mean `gain`?"),
    ("input [4] dense(3, init = lecun_norml)", "E104", "lecun", "did you mean `lecun_normal`?"),
    ("input [4] dense(3, init = truncated(0.1))", "E104", "truncated", "unknown dense init"),
    ("input [4] dense(3, init = 0.1)", "E201", "0.1", "expected a name"),
    ("input [4] dense(3, bias_init = orthogonal)", "E302", "orthogonal", "a bias is a vector"),
    ("input [1, 4, 4] conv2d(2, 3, bias_init = orthogonal(2)) flatten dense(3)", "E302",
     "orthogonal", "a bias is a vector"),
]


@pytest.mark.parametrize("model, code, needle, words", BAD, ids=[b[0][10:] for b in BAD])
def test_bad_initialiser_options_are_refused_at_their_text(model, code, needle, words):
    text = _recipe(model)
    before = text.index(model) + model.index(needle)
    line, col = line_col(text, needle, occurrence=text[:before].count(needle))
    found = _errors(text)
    assert any(c == code and (ln, cl) == (line, col) and words in said
               for c, ln, cl, said in found), (line, col, found)


def test_refused_on_the_command_line_without_a_traceback(tmp_path):
    text = _recipe("input [4] dense(3, init = orthogonal(-1))")
    out = cli("check", "--no-data", write(tmp_path, "bad.recipe", text))
    refused(out, "E202", at=line_col(text, "-1"), mentions="gain must be > 0")
