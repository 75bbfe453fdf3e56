"""Hostile recipes: options that make no sense, sizes that cannot work, text that would act on
a terminal. Each is refused by `recipec check` with exit 2, a `file:line:col` diagnostic at the
offending text (the exact column), no traceback and no training; the boundary values that are
valid are accepted. Only `check` runs here: nothing compiles (a FRONTEND file)."""
from __future__ import annotations

import re

import pytest

from hostile import accepted, cli, line_col, refused, write

GIB = 2 ** 30

# The memory check reads the machine's memory; a fixed figure keeps messages and verdicts
# the same on every machine.
MACHINE = 16 * GIB


@pytest.fixture(autouse=True)
def _sixteen_gib_machine(monkeypatch):
    monkeypatch.setenv("RECIPEC_MEMORY_BYTES", str(MACHINE))


def recipe(layers="flatten dense(10)", input="[1, 8, 8]", data="", loss="cross_entropy",
           train="epochs = 1  batch = 32", source="digits()") -> str:
    return (f"recipe hostile\n"
            f"data {{\n  source = {source}\n  {data}\n}}\n"
            f"model {{\n  input {input}\n  {layers}\n}}\n"
            f"loss = {loss}\n"
            f"optimizer = sgd(0.1)\n"
            f"train {{ {train} }}\n")


EMPTY_MODEL = ("data { source = digits() }\nmodel { }\nloss = cross_entropy\n"
               "optimizer = sgd(0.1)\ntrain { epochs = 1 }\n")
EMPTY_DATA = ("data { }\nmodel { input [64] dense(10) }\nloss = cross_entropy\n"
              "optimizer = sgd(0.1)\ntrain { epochs = 1 }\n")
EMPTY_TRAIN = ("data { source = digits() }\nmodel { input [64] dense(10) }\n"
               "loss = cross_entropy\noptimizer = sgd(0.1)\ntrain {   }\n")


# (id, recipe text, --set overrides, code, needle the diagnostic points at (occurrence),
#  words the output must mention)
REFUSED = [
    # -- 1. empty blocks: at the `{ }` -------------------------------------------------------
    ("empty-residual", recipe("flatten dense(10) residual { } dense(10)"), (),
     "E107", ("{ }", 0), ("residual",)),
    ("empty-residual-nested", recipe("flatten dense(10) residual { residual {} relu } "
                                     "dense(10)"), (), "E107", ("{}", 0), ("residual",)),
    ("empty-model", EMPTY_MODEL, (), "E107", ("{ }", 0), ("input [d1, ...]",)),
    ("empty-data", EMPTY_DATA, (), "E107", ("{ }", 0), ("source = ...",)),
    ("empty-train", EMPTY_TRAIN, (), "E107", ("{   }", 0), ("epochs = N",)),
    # -- 2. softmax before a loss that takes logits: at the softmax ---------------------------
    ("softmax-before-cross-entropy", recipe("flatten dense(10) softmax"), (),
     "E306", ("softmax", 0), ("applies softmax itself", "predict() already returns")),
    ("softmax-then-dropout", recipe("flatten dense(10) softmax dropout(0.1)"), (),
     "E306", ("softmax", 0), ()),
    ("softmax-after-conv-net", recipe("conv2d(4, 3) relu flatten dense(10)\n  softmax"), (),
     "E306", ("softmax", 0), ()),
    # -- 3. augmentation larger than the input: at its option ---------------------------------
    ("shift-as-large-as-the-image", recipe(data="augment = [shift(8)]"), (),
     "E305", ("8)]", 0), ("8×8",)),
    ("shift-named-larger", recipe(data="augment = [flip(), shift(pixels = 30)]"), (),
     "E305", ("30", 0), ("pixels <= 7",)),
    ("shift-past-the-narrow-side", recipe(input="[1, 8, 4]", data="augment = [shift(4)]"), (),
     "E305", ("4)]", 0), ("8×4",)),
    ("shift-set-from-the-command-line", recipe(data="augment = [shift(2)]"),
     ("data.augment.shift_1.pixels=9",), "E305", None,
     (f"<--set>:1:{len('data.augment.shift_1.pixels=') + 1}: error[E305]",)),
    # -- 4. zero/negative sizes, windows larger than their input: at the option --------------
    ("conv-stride-zero", recipe("conv2d(4, 3, stride = 0) flatten dense(10)"), (),
     "E202", ("0)", 0), ("stride must be >= 1",)),
    ("conv-stride-zero-positional", recipe("conv2d(4, 3, 0) flatten dense(10)"), (),
     "E202", ("0)", 0), ()),
    ("conv1d-kernel-zero", recipe("conv1d(4, 0) flatten dense(10)", input="[1, 16]"), (),
     "E202", ("0)", 0), ("kernel must be >= 1",)),
    ("dense-units-zero", recipe("flatten dense(0) dense(10)"), (),
     "E202", ("0)", 0), ("units must be >= 1",)),
    ("pool-size-negative", recipe("maxpool2d(-1) flatten dense(10)"), (),
     "E202", ("-1", 0), ()),
    ("pool-stride-zero", recipe("avgpool2d(2, 0) flatten dense(10)"), (),
     "E202", ("0)", 0), ()),
    ("padding-negative", recipe("conv2d(4, 3, padding = -2) flatten dense(10)"), (),
     "E202", ("-2", 0), ("padding must be >= 0",)),
    ("pool-larger-than-input", recipe("maxpool2d(9) flatten dense(10)"), (),
     "E302", ("9)", 0), ("window 9", "use size <= 8")),
    ("kernel-larger-than-padded-input", recipe("conv2d(4, 11, padding = 1) flatten dense(10)"),
     (), "E302", ("11", 0), ("kernel 11", "padding 2")),
    ("output-shrinks-to-nothing", recipe("conv2d(4, 5) relu maxpool2d(5) flatten dense(10)"),
     (), "E302", ("5)", 1), ("size of 4",)),
    ("same-padding-with-stride", recipe("conv2d(4, 3, 2, padding = same) flatten dense(10)"),
     (), "E302", ("same", 0), ("stride = 1",)),
    ("batchnorm-momentum-positional", recipe("batchnorm(1.5) flatten dense(10)"), (),
     "E202", ("1.5", 0), ("momentum",)),
    # -- 5. memory and huge integers ------------------------------------------------------
    ("dense-terabytes", recipe("dense(99999999999) dense(10)", input="[64]"), (),
     "E307", ("dense(99999999999)", 0), ("TiB", "this machine has 16.0 GiB", "dense_1")),
    ("batch-too-large-for-memory", recipe(train="epochs = 1  batch = 100000000"), (),
     "E307", ("flatten", 0), ("GiB", "lower `train.batch`")),
    ("conv-too-wide-for-memory", recipe("conv2d(2000000, 3) flatten dense(10)"), (),
     "E307", ("conv2d(2000000, 3)", 0), ("GiB", "conv2d_1")),
    ("units-beyond-64-bits", recipe("flatten dense(1000000000000000000000000000000)"), (),
     "E202", ("1000000000000000000000000000000", 0), ("64 bits",)),
    ("batch-beyond-64-bits", recipe(train="epochs = 1  batch = 1000000000000000000000000000000"),
     (), "E202", ("1000000000000000000000000000000", 0), ("64 bits",)),
    ("epochs-beyond-64-bits", recipe(train="epochs = 1000000000000000000000000000000"), (),
     "E202", ("1000000000000000000000000000000", 0), ("64 bits",)),
    ("input-dimension-beyond-64-bits", recipe(input="[1, 8, 100000000000000000000]"), (),
     "E301", ("100000000000000000000", 0), ("64 bits",)),
    ("integer-with-5000-digits", recipe("flatten dense(" + "7" * 5000 + ")"), (),
     "E001", ("7777", 0), ("5000 digits",)),
    # -- 6. terminal safety: control characters come back as escapes -----------------------
    ("escape-sequence-in-source", recipe("flatten \x1b[2J dense(10)"), (),
     "E001", ("\x1b", 0), ("`\\x1b`", "\\x1b[2J")),
    ("del-character", recipe("flatten dense(10) \x7f"), (), "E001", ("\x7f", 0), ("\\x7f",)),
    ("bel-in-a-string", recipe(data='normalize = "\x07\x1b]0;owned\x07"'), (),
     "E201", ('"\x07', 0), ('"\\x07\\x1b]0;owned\\x07"',)),
    ("bidi-override-on-the-line", recipe("flatten desne(10)  # \u202e}"), (),
     "E102", ("desne", 0), ("\\u202e",)),
    ("c1-control-in-source", recipe("flatten dense(10) \x9b"), (), "E001", ("\x9b", 0),
     ("\\x9b",)),
    # -- 7. positional arguments: the help names what the layer takes ---------------------
    ("pool-three-positional", recipe("maxpool2d(2, 2, 2) flatten dense(10)"), (),
     "E203", ("2)", 0), ("size, stride", "by position")),
    ("conv-padding-positional", recipe("conv2d(4, 3, 1, 1) flatten dense(10)"), (),
     "E203", ("1)", 0), ("filters, kernel, stride", "`padding = ...`")),
    ("activation-with-an-argument", recipe("flatten dense(10) relu(2)"), (),
     "E203", ("2)", 0), ("takes no options",)),
    ("positional-after-named", recipe("maxpool2d(size = 2, 2) flatten dense(10)"), (),
     "E203", ("2)", 0), ("maxpool2d(size, stride)",)),
]

ACCEPTED = [
    ("pool-size-and-stride-positional", recipe("maxpool2d(2, 2) avgpool2d(2, 1) flatten "
                                               "dense(10)")),
    ("pool1d-positional", recipe("maxpool1d(2, 2) avgpool1d(3, 1) flatten dense(10)",
                                 input="[1, 16]")),
    ("conv-stride-positional", recipe("conv2d(4, 3, 2) flatten dense(10)")),
    ("batchnorm-positional", recipe("batchnorm(0.9, 1e-5) flatten dense(10)")),
    ("kernel-equals-padded-input", recipe("conv2d(4, 10, padding = 1) flatten dense(10)")),
    ("pool-equals-input", recipe("maxpool2d(8) flatten dense(10)")),
    ("shift-one-less-than-the-image", recipe(data="augment = [shift(7)]")),
    ("shift-zero", recipe(input="[1, 1, 1]", data="augment = [shift(0)]")),
    ("softmax-before-mse", recipe("flatten dense(4) softmax", loss="mse")),
    ("softmax-inside-the-model", recipe("flatten dense(16) softmax dense(10)")),
    ("largest-64-bit-seed", recipe(train="epochs = 1  seed = 9223372036854775807")),
    ("residual-with-a-body", recipe("flatten dense(10) residual { relu } dense(10)")),
]


def _run(tmp_path, text, overrides):
    path = write(tmp_path, "hostile.recipe", text)
    sets = [a for o in overrides for a in ("--set", o)]
    # the recipe alone: these shapes are the checker's business, not digits' (the data check
    # has its own hostile file, test_hostile_data.py)
    return cli("check", "--no-data", path, *sets), path


@pytest.mark.parametrize("text, overrides, code, needle, mentions",
                         [row[1:] for row in REFUSED], ids=[row[0] for row in REFUSED])
def test_refused_where_the_mistake_is(tmp_path, text, overrides, code, needle, mentions):
    out, path = _run(tmp_path, text, overrides)
    at = line_col(text, *needle) if needle is not None else None
    refused(out, code, at=at, mentions=mentions)
    assert not out.out, out.out                    # no summary printed for a refused recipe
    # every diagnostic names the recipe file (or <--set>), never a bare message
    assert out.diagnostics() and all(m["file"] in (str(path), "<--set>")
                                     for m in out.diagnostics())


@pytest.mark.parametrize("text", [row[1] for row in ACCEPTED], ids=[row[0] for row in ACCEPTED])
def test_boundary_values_are_accepted(tmp_path, text):
    out, _ = _run(tmp_path, text, ())
    accepted(out)
    assert "hostile" in out.out and not out.trained


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


TERMINAL = [row for row in REFUSED if row[0] in {
    "escape-sequence-in-source", "del-character", "bel-in-a-string",
    "bidi-override-on-the-line", "c1-control-in-source"}]


@pytest.mark.parametrize("text", [row[1] for row in TERMINAL], ids=[row[0] for row in TERMINAL])
def test_no_control_character_reaches_the_terminal(tmp_path, text):
    out, _ = _run(tmp_path, text, ())
    assert not CONTROL.search(out.err), repr(out.err)


def test_caret_underlines_the_escaped_character(tmp_path):
    text = recipe("flatten \x1b[2J dense(10)")
    out, _ = _run(tmp_path, text, ())
    lines = out.err.splitlines()
    code_line = next(l for l in lines if "|" in l and "flatten" in l)
    carets = lines[lines.index(code_line) + 1]
    assert carets.index("^") == code_line.index("\\x1b") and carets.count("^") == 4


def test_control_characters_in_the_file_name_and_a_string_are_escaped_in_the_summary(tmp_path):
    text = recipe(source='csv("d\x1b[31m.csv", label = "y")')
    path = write(tmp_path, "name\x07.recipe", text)
    out = cli("check", "--no-data", path)
    accepted(out)
    assert not CONTROL.search(out.out) and "d\\x1b[31m.csv" in out.out
    assert "name\\x07.recipe" in out.out


def test_a_model_larger_than_int64_prints_its_true_size(tmp_path, monkeypatch):
    monkeypatch.setenv("RECIPEC_MEMORY_BYTES", str(2 ** 80))
    text = recipe("dense(4000000000)", input="[4000000000]", loss="mse")
    out, _ = _run(tmp_path, text, ())
    accepted(out)
    assert "16,000,000,004,000,000,000" in out.out      # > 2**63: no wrapped int64


def test_memory_figures_follow_the_machine(tmp_path, monkeypatch):
    text = recipe("flatten dense(1000000) dense(10)")    # ~0.5 GiB with sgd: 2 copies
    monkeypatch.setenv("RECIPEC_MEMORY_BYTES", str(GIB))
    accepted(_run(tmp_path, text, ())[0])
    monkeypatch.setenv("RECIPEC_MEMORY_BYTES", str(GIB // 4))
    out, _ = _run(tmp_path, text, ())
    refused(out, "E307", at=line_col(text, "dense(1000000)"),
            mentions=("this machine has 256.0 MiB", "dense_1"))
