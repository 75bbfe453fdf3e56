"""Hostile command lines: every one is refused with exit 2 and a clear message, never a
traceback, and nothing is trained. A front-end file (tests/conftest.py FRONTEND): a case that
wrongly got as far as loading kernels would fail the guard there (an internal error, exit 1).

Also the bare string values `--set` takes for a string option (`data.source.path=/data/mnist`)
and the rules for them: taken verbatim, surrounding spaces dropped, inner spaces and quotes
kept, control characters refused, a quoted value still recipe syntax.
"""
from __future__ import annotations

import pytest

import recipec
from hostile import RECIPES, accepted, cli, refused, write

DIGITS = RECIPES / "digits_mlp.recipe"
LENET = RECIPES / "mnist_lenet_caffe.recipe"
FILES = {"not_utf8.recipe": b"recipe x\n\xff\xfe data {}\n", "nul.recipe": b"recipe x\x00\n",
         "damaged/runs.sqlite": b"SQLite format 3\x00" + b"\xff" * 200}
THREADS = "RECIPEC_THREADS must be one of numba, blas"

# id, argv ({tmp} is the test's folder), environment, E-code, (line, col), texts in stderr
CASES = [
    ("unknown_command", ["chek", DIGITS], {}, None, None,
     ("unknown command 'chek'", "did you mean 'check'?")),
    ("unknown_command_far", ["frobnicate", DIGITS], {}, None, None,
     ("unknown command 'frobnicate'",
      "the commands are check, run, compile, plot, eval, predict, export, ensemble, explain, search, runs")),
    ("no_command", [], {}, None, None,
     ("required: {check,run,compile,plot,eval,predict,export,ensemble,explain,search,runs}",)),
    ("missing_file", ["check"], {}, None, None, ("required: file",)),
    ("unknown_flag", ["check", DIGITS, "--frobnicate"], {}, None, None,
     ("unrecognized arguments: --frobnicate",)),
    ("file_is_directory", ["check", RECIPES], {}, "E000", (1, 1),
     ("cannot read recipe", "Is a directory")),
    ("file_does_not_exist", ["check", "{tmp}/nope.recipe"], {}, "E000", (1, 1),
     ("nope.recipe", "No such file or directory")),
    ("file_not_utf8", ["check", "{tmp}/not_utf8.recipe"], {}, "E001", (2, 1),
     ("invalid UTF-8 byte 0xff",)),
    ("file_with_nul", ["check", "{tmp}/nul.recipe"], {}, "E001", (1, 9), ("NUL byte",)),
    ("set_without_equals", ["check", DIGITS, "--set", "train.epochs"], {}, "E002", (1, 1),
     ("expected `path=value`",)),
    ("set_without_argument", ["check", DIGITS, "--set"], {}, None, None,
     ("--set: expected one argument",)),
    ("set_unknown_key", ["check", DIGITS, "--set", "train.epoch=3"], {}, "E101", None,
     ("unknown train key `epoch`", "did you mean `epochs`?")),
    ("set_unknown_section", ["check", DIGITS, "--set", "trian.epochs=3"], {}, "E002", (1, 1),
     ("cannot override `trian.epochs`", "did you mean `train`?")),
    ("set_unknown_option", ["check", DIGITS, "--set", "optimizer.lrr=0.1"], {}, "E103",
     (1, 11), ("unknown option `lrr` for adam", "did you mean `lr`?")),
    ("set_unknown_layer", ["check", DIGITS, "--set", "model.dense_9.units=4"], {}, "E002",
     (1, 7), ("no layer named `dense_9`",)),
    # a bare path for a misspelt string option: the misspelling is reported, not the `/`
    ("set_misspelt_string_option", ["check", LENET, "--set", "data.source.pth=/data/mnist"],
     {}, "E103", (1, 13), ("unknown option `pth` for mnist", "did you mean `path`?")),
    ("set_option_the_source_lacks", ["check", DIGITS, "--set", "data.source.path=/x/y"], {},
     "E103", (1, 13), ("unknown option `path` for digits",)),
    ("set_option_of_an_unset_key", ["check", DIGITS, "--set", "data.test.path=/x/y"], {},
     "E002", (1, 1), ("`test` is not set to a call",)),
    ("set_wrong_type", ["check", DIGITS, "--set", "train.epochs=abc"], {}, "E201", (1, 14),
     ("expected an integer, got a name `abc`",)),
    ("set_bare_path_for_a_number", ["check", DIGITS, "--set", "train.epochs=/data"], {},
     "E002", (1, 14), ("unexpected character `/`",)),
    ("set_empty_value", ["check", DIGITS, "--set", "train.epochs="], {}, "E002", (1, 1),
     ("has no value after `=`",)),
    ("set_control_character", ["check", LENET, "--set", "data.source.path=/data\tmnist"], {},
     "E002", (1, 23), ("control character U+0009",)),
    ("set_unterminated_quote", ["check", LENET, "--set", 'data.source.path="/data/mnist'], {},
     "E002", (1, 18), ("unterminated string",)),
    ("emit_bogus", ["compile", DIGITS, "--emit", "bogus"], {}, None, None,
     ("--emit: invalid choice: 'bogus'",)),
    ("dump_after_unknown_stage", ["compile", DIGITS, "--dump-after", "fus"], {}, None, None,
     ("unknown stage 'fus'", "did you mean 'fuse'?", "build, autodiff")),
    ("report_under_a_file", ["run", DIGITS, "--report", "{tmp}/nul.recipe/out/r.json"], {},
     None, None, ("recipec: error: --report ", "is not a folder")),
    ("report_is_a_folder", ["run", DIGITS, "--report", "{tmp}"], {}, None, None,
     ("recipec: error: --report ", "is a folder")),
    ("runs_show_not_an_id", ["runs", "show", "latest"], {}, None, None,
     ("'latest' is not a run id (1, 2, ...), `last` or `last-N`",)),
    ("runs_show_id_zero", ["runs", "show", "0"], {}, None, None, ("'0' is not a run id",)),
    ("runs_n_zero", ["runs", "-n", "0"], {}, None, None, ("'0' is not a whole number >= 1",)),
    ("runs_status_bogus", ["runs", "--status", "sleeping"], {}, None, None,
     ("invalid choice: 'sleeping'",)),
    ("runs_show_without_a_store", ["runs", "show", "3", "--runs", "{tmp}/none"], {}, None,
     None, ("error[R004]", "no run store there", "no run 3")),
    ("runs_store_damaged", ["runs", "--runs", "{tmp}/damaged"], {}, None, None,
     ("error[R002]", "damaged/runs.sqlite is damaged or not a run store")),
    ("run_store_damaged", ["run", DIGITS, "--runs", "{tmp}/damaged"], {}, None, None,
     ("error[R002]", "damaged/runs.sqlite")),
    ("run_store_under_a_file", ["run", DIGITS, "--runs", "{tmp}/nul.recipe/runs"], {}, None,
     None, ("error[R001]", "cannot be created")),
    ("threads_word", ["run", DIGITS], {"RECIPEC_THREADS": "abc"}, None, None, (THREADS,)),
    ("threads_zero", ["run", DIGITS], {"RECIPEC_THREADS": "0"}, None, None, (THREADS,)),
    ("threads_negative", ["run", DIGITS], {"RECIPEC_THREADS": "-1"}, None, None, (THREADS,)),
    ("thread_policy_bogus", ["run", DIGITS], {"RECIPEC_THREAD_POLICY": "bogus"}, None, None,
     ("RECIPEC_THREAD_POLICY must be one of adaptive, fixed, got 'bogus'",)),
]


@pytest.mark.parametrize("argv, env, code, at, mentions",
                         [row[1:] for row in CASES], ids=[row[0] for row in CASES])
def test_hostile_command_line_is_refused(tmp_path, monkeypatch, argv, env, code, at, mentions):
    for name, data in FILES.items():
        write(tmp_path, name, data)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = cli(*(str(a).replace("{tmp}", str(tmp_path)) for a in argv))
    refused(out, code, at=at, mentions=mentions)


CSV = """recipe table
data { source = csv("t.csv", label = "y") }
model { input [2] dense(3) }
loss = cross_entropy
optimizer = sgd(0.1)
train { epochs = 1 }
"""

# id, overrides, the csv source's options they give
BARE = [
    ("relative_path", ["data.source.path=../x/y.csv"], {"path": "../x/y.csv"}),
    ("label_word", ["data.source.label=species"], {"label": "species"}),
    ("label_index_stays_text", ["data.source.label=0"], {"label": "0"}),
    ("quoted_still_works", ['data.source.path="q.csv"'], {"path": "q.csv"}),
    ("quoted_escapes", [r'data.source.label="a\"b"'], {"label": 'a"b'}),
    ("spaces_around_dropped_inside_kept", ["data.source.path=  /my data/t.csv "],
     {"path": "/my data/t.csv"}),
    ("quote_inside_kept", ["data.source.label=it's"], {"label": "it's"}),
    ("not_ascii", ["data.source.path=données/t.csv"], {"path": "données/t.csv"}),
    ("equals_sign_inside", ["data.source.path=a=b.csv"], {"path": "a=b.csv"}),
    ("looks_like_a_call", ["data.source.path=f(1).csv"], {"path": "f(1).csv"}),
    ("after_the_source_itself", ['data.source=csv("u.csv")', "data.source.label=z"],
     {"path": "u.csv", "label": "z"}),
]


@pytest.mark.parametrize("overrides, want", [row[1:] for row in BARE],
                         ids=[row[0] for row in BARE])
def test_string_option_takes_a_bare_value(overrides, want):
    options = recipec.loads(CSV, "table.recipe", overrides).data.source.options
    assert {k: options[k] for k in want} == want


def test_bare_data_path_from_the_command_line():
    # the bare path reaches the source: check reads the data and names that very folder
    out = cli("check", LENET, "--set", "data.source.path=/data/mnist")
    refused(out, "D001", mentions="'/data/mnist' (the folder does not exist)")
    assert not out.trained
