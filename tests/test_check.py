"""Checker: the typed Recipe, every error code with its position, overrides, robustness."""
import random

import pytest

from recipec.compiler.check import check_file, check_source
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.options import Duration
from recipec.compiler.summary import summary

VALID = """\
recipe digits_mlp
data {
  source = digits()
  normalize = standard
  validation = 0.2
  shuffle = true
}
model {
  input [64]
  dense(128, init = he) relu
  dropout(0.2)
  residual { dense(128) relu }
  dense(10)
}
loss      = cross_entropy
optimizer = adam(lr = 1e-3)
schedule  = step(every = 10 epochs, gamma = 0.5)
train { epochs = 30  batch = 32  seed = 0 }
metrics = [accuracy]
"""

SMALL = """\
data { source = iris }
model {
  input [4]
  dense(8) relu
  dense(3)
}
loss = cross_entropy
optimizer = sgd(0.1)
train { epochs = 5 }
"""


def errors(text, overrides=()):
    with pytest.raises(RecipeError) as e:
        check_source(text, "t.recipe", overrides)
    assert e.value.source == text
    return e.value.diagnostics


def test_valid_recipe():
    r = check_source(VALID, "recipes/digits.recipe")
    assert r.name == "digits_mlp" and r.path == "recipes/digits.recipe" and r.source == VALID
    assert r.data.source.kind == "digits" and r.data.normalize == "standard"
    assert r.data.validation == 0.2 and r.data.shuffle is True
    assert r.loss.kind == "cross_entropy"
    assert r.optimizer.kind == "adam" and r.optimizer["lr"] == 1e-3
    assert r.optimizer.options == {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                   "weight_decay": 0.0}
    assert r.schedule.options == {"every": Duration(10, "epochs"), "gamma": 0.5}
    assert (r.train.epochs, r.train.batch, r.train.seed) == (30, 32, 0)
    assert r.metric_names == ("accuracy",)
    m = r.model
    assert m.input_shape == (64,) and m.output_shape == (10,)
    names = [l.name for l in m.layers]
    assert names == ["dense_1", "relu_1", "dropout_1", "residual_1", "dense_3"]
    res = m.layers[3]
    assert [b.name for b in res.body] == ["dense_2", "relu_2"]
    assert "_body_out" not in res.options
    assert res.params == 128 * 128 + 128
    assert m.params == 64 * 128 + 128 + (128 * 128 + 128) + 128 * 10 + 10
    assert m.layers[0].flops == 2 * 64 * 128 + 128
    options = dict(m.layers[0].options)
    init, bias_init = options.pop("init"), options.pop("bias_init")   # checked calls
    assert (init.kind, init.options, bias_init.kind) == ("he", {}, "zeros")
    assert options == {"units": 128, "bias": True, "lr_mult": 1.0, "decay_mult": 1.0,
                       "bias_lr_mult": 1.0, "bias_decay_mult": 1.0, "freeze": False,
                       "l1": None, "l2": None, "max_norm": None}   # unset: regularize { }'s
    assert m.layers[0].span.line == 10 and m.layers[0].span.col == 3


def test_defaults_and_file_stem_name():
    r = check_source(SMALL, "dir/iris_small.recipe")
    assert r.name == "iris_small"
    assert r.schedule.kind == "constant" and r.schedule.options == {}
    assert r.metric_names == ("accuracy",)
    assert r.optimizer.options["lr"] == 0.1 and r.optimizer.options["momentum"] == 0.0
    assert r.train.batch == 32 and r.data.normalize == "none"
    assert r.model.params == 4 * 8 + 8 + 8 * 3 + 3
    mse = SMALL.replace("cross_entropy", "mse").replace("dense(3)", "dense(1)")
    assert check_source(mse, "m.recipe").metric_names == ("mae",)


def test_mlp_params():
    text = SMALL.replace("[4]", "[64]").replace("dense(8) relu", "dense(128)").replace(
        "dense(3)", "dense(10)")
    assert check_source(text, "t").model.params == 64 * 128 + 128 + 128 * 10 + 10


# (replace this, with that) in SMALL -> expected (code, line, col) among the diagnostics
CASES = [
    ("train {", "trian {", "E101", 9, 1),
    ("loss =", "los =", "E101", 7, 1),
    ("epochs = 5", "epochs = 5 bach = 3", "E101", 9, 20),
    ("dense(8)", "desne(8)", "E102", 4, 3),
    ("dense(8)", "dense(8, int = he)", "E103", 4, 12),
    ("sgd(0.1)", "sgdd(0.1)", "E104", 8, 13),
    ("source = iris", "source = irsi", "E104", 1, 17),
    ("source = iris", "source = iris normalize = standrd", "E104", 1, 34),
    ("dense(8)", "dense(8, init = hee)", "E104", 4, 19),
    ("loss = cross_entropy", "loss = cross_entropy\nmetrics = [acuracy]", "E104", 8, 12),
    ("train {", "loss = mse\ntrain {", "E105", 9, 1),
    ("epochs = 5", "epochs = 5 epochs = 6", "E105", 9, 20),
    ("dense(8)", "dense(8, units = 4)", "E105", 4, 12),
    ("train { epochs = 5 }", "", "E106", 1, 1),
    ("epochs = 5", "batch = 3", "E106", 9, 1),
    ("sgd(0.1)", "sgd()", "E106", 8, 13),
    ("dense(8)", "dense()", "E106", 4, 3),
    ("epochs = 5", "epochs = abc", "E201", 9, 18),
    ("epochs = 5", "epochs = 2.5", "E201", 9, 18),
    ("source = iris", "source = iris shuffle = 1", "E201", 1, 32),
    ("sgd(0.1)", "sgd(0.1, nesterov = yes)", "E201", 8, 33),
    ("sgd(0.1)", "sgd(-0.1)", "E202", 8, 17),
    ("epochs = 5", "epochs = 5 batch = 0", "E202", 9, 28),
    ("relu", "relu dropout(1.5)", "E202", 4, 25),
    ("dense(8)", "dense(8, 9)", "E203", 4, 12),
    ("relu", "relu(2)", "E203", 4, 17),
    ("input [4]", "dense(2)", "E301", 3, 3),
    ("input [4]", "input [0]", "E301", 3, 10),
    ("input [4]", "input [2, 2]", "E302", 4, 3),
    ("dense(8) relu", "dense(8) residual { dense(4) }", "E302", 4, 12),
    ("dense(3)", "dense(1)", "E303", 7, 8),
    ("loss = cross_entropy", "loss = mse metrics = [accuracy]", "E304", 7, 23),
]


@pytest.mark.parametrize("old, new, code, line, col", CASES)
def test_error_codes(old, new, code, line, col):
    assert old in SMALL
    diags = errors(SMALL.replace(old, new, 1))
    found = [(d.code, d.span.line, d.span.col) for d in diags]
    assert (code, line, col) in found, found


def test_range_messages():
    msgs = [d.message for d in errors(SMALL.replace("sgd(0.1)", "sgd(-0.1)").replace(
        "relu", "relu dropout(1.5)").replace("epochs = 5", "epochs = 5 batch = 0"))]
    assert "lr must be > 0, got -0.1" in msgs
    assert "dropout rate must be in [0, 1), got 1.5" in msgs
    assert "batch must be >= 1, got 0" in msgs


def test_type_message_and_hints():
    [d] = errors(SMALL.replace("epochs = 5", "epochs = abc"))
    assert d.message == "epochs: expected an integer, got a name `abc`"
    [d] = errors(SMALL.replace("dense(8)", "desne(8)"))
    assert d.message == "unknown layer `desne`" and d.hint == "did you mean `dense`?"
    [d] = errors(SMALL.replace("sgd(0.1)", "adma(0.1)"))
    assert d.hint == "did you mean `adam`?"
    [d] = errors(SMALL.replace("dense(8)", "dense(8, int = he)"))
    assert d.hint == "did you mean `init`?"


def test_many_errors_in_one_run():
    bad = (SMALL.replace("dense(8)", "desne(8)").replace("sgd(0.1)", "adma()")
           .replace("source = iris", "source = iris normalize = standrd")
           .replace("epochs = 5", "epochs = 0"))
    codes = [d.code for d in errors(bad)]
    assert sorted(codes) == ["E102", "E104", "E104", "E202"]


def test_shape_errors_continue_checking_options():
    diags = errors(SMALL.replace("[4]", "[2, 2]").replace("relu", "relu dropout(2)"))
    assert {d.code for d in diags} == {"E302", "E202"}


def test_overrides():
    r = check_source(VALID, "v", ["train.epochs=5", "optimizer.lr=0.01", "data.validation=0.1",
                                  "schedule.gamma=0.9", "metrics=[accuracy, loss]"])
    assert r.train.epochs == 5 and r.optimizer["lr"] == 0.01 and r.data.validation == 0.1
    assert r.schedule["gamma"] == 0.9 and r.metric_names == ("accuracy", "loss")
    r = check_source(SMALL, "s", {"optimizer.lr": "0.5", "train.batch": "8",
                                  "schedule": "step(2 epochs)"})
    assert r.optimizer["lr"] == 0.5 and r.train.batch == 8  # replaced sgd's positional lr
    assert r.schedule["every"] == Duration(2, "epochs")
    r = check_source(SMALL, "s", ["optimizer=adam(lr = 0.2)"])
    assert r.optimizer.kind == "adam" and r.optimizer["lr"] == 0.2
    csv = SMALL.replace("source = iris", 'source = csv("a.csv", label = "y")')
    r = check_source(csv, "s", ['data.source.path="b.csv"'])
    assert r.data.source.options == {"path": "b.csv", "label": "y", "header": True}


def test_bad_overrides():
    diags = errors(SMALL, ["train.epochs=abc", "nonsense", "trian.epochs=1", "optimizer=("])
    # override syntax problems are found before the recipe is checked, so they come first
    assert [d.code for d in diags] == ["E002", "E002", "E002", "E201"]
    assert all(d.span.file == "<--set>" for d in diags)
    assert (diags[3].span.line, diags[3].span.col) == (1, 14)
    assert diags[1].hint == "did you mean `train`?"


def test_layer_and_augment_overrides_by_name():
    r = check_source(VALID, "v", ["model.dropout_1.rate=0.5", "model.dense_2.init=xavier",
                                  "model.dense_3.units=12"])
    layers = {l.name: l for l in r.model.layers}
    assert layers["dropout_1"].options["rate"] == 0.5       # replaced the positional rate
    assert layers["residual_1"].body[0].options["init"].kind == "xavier"   # inside the block
    assert layers["dense_3"].out_shape == (12,)             # shapes may change too
    aug = VALID.replace("shuffle = true", "shuffle = true augment = [noise(0.1), noise(0.2)]")
    r = check_source(aug, "v", ["data.augment.noise_2.std=0.5"])
    assert [c["std"] for c in r.data.augment] == [0.1, 0.5]


@pytest.mark.parametrize("override,code,col,hint", [
    ("model.dens_3.units=4", "E002", 7, "did you mean `dense_3`?"),
    ("model.dense_1.unit=4", "E103", 15, "did you mean `units`?"),
    ("model.relu_1.alpha=0.1", "E103", 14, None),
    ("model.dense_1=4", "E002", 1, None),
    ("model.dropout_1.rate=2", "E202", 22, None),
    ("data.augment.noise_1.std=0.1", "E002", 14, None),     # VALID has no augment list
])
def test_bad_layer_overrides(override, code, col, hint):
    [d] = errors(VALID, [override])
    assert (d.code, d.span.file, d.span.line, d.span.col) == (code, "<--set>", 1, col)
    assert hint is None or d.hint == hint


def test_check_file(tmp_path):
    p = tmp_path / "net.recipe"
    p.write_text(SMALL)
    assert check_file(p).name == "net"
    with pytest.raises(RecipeError) as e:
        check_file(tmp_path / "missing.recipe")
    [d] = e.value.diagnostics
    assert d.code == "E000" and (d.span.line, d.span.col) == (1, 1)
    p.write_bytes(b"\xff\xfe")
    with pytest.raises(RecipeError) as e:
        check_file(p)
    assert e.value.diagnostics[0].code == "E001"


def test_summary():
    text = summary(check_source(VALID, "recipes/digits.recipe"))
    assert "dense_1" in text and "[128]" in text and "8,320" in text
    assert "\n  dense_2" in text  # residual body indented
    total = [l for l in text.splitlines() if l.startswith("total")][0]
    assert "26,122" in total
    assert "adam(lr = 0.001" in text and "step(every = 10 epochs, gamma = 0.5)" in text
    assert "epochs = 30, batch = 32, seed = 0" in text
    aug = VALID.replace("shuffle = true", "shuffle = true augment = [noise(0.1), noise(0.2)]")
    assert "noise_1: noise(std = 0.1), noise_2: noise(std = 0.2)" in summary(
        check_source(aug, "v"))          # the names `--set data.augment.ENTRY.OPTION` takes


# ---- robustness: anything malformed is a RecipeError, never another exception ------------

def _must_fail_cleanly(text):
    try:
        check_source(text, "fuzz.recipe")
    except RecipeError as e:
        assert e.diagnostics and all(d.code.startswith("E") for d in e.diagnostics)
        return True
    return False


def test_every_prefix_of_a_valid_recipe():
    for n in range(len(VALID)):
        _must_fail_cleanly(VALID[:n])  # may succeed (whole statements); must not crash


def test_random_bytes():
    from recipec.compiler.syntax import decode
    rng = random.Random(1234)
    alphabet = list(b"{}[](),=#\"\n .-_09aezE") + list(range(256))
    for _ in range(200):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        try:
            text = decode(data, "fuzz.recipe")
        except RecipeError:
            continue
        assert _must_fail_cleanly(text)


def test_random_mutations_of_valid_recipe():
    rng = random.Random(7)
    tokens = ["{", "}", "(", ")", "[", "]", "=", ",", "1.5", "-3", "x", "epochs", '"s"', "#"]
    for _ in range(200):
        chars = list(VALID)
        for _ in range(rng.randint(1, 4)):
            chars.insert(rng.randrange(len(chars)), rng.choice(tokens))
        _must_fail_cleanly("".join(chars))


def test_empty_file():
    assert _must_fail_cleanly("")
