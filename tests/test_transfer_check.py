"""`init = checkpoint(...)` and `freeze`, front end: the static checks at their line:col, and
the file read as `recipec check` and `recipec.compile` read it (no kernel compiles): which
tensors reach the fresh state, and every hostile file refused at the `checkpoint(...)` call.
The trainings (frozen weights bitwise unchanged, A's run copied into B) are in
tests/test_transfer.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hostile import accepted, cli, line_col, refused, write

import recipec
from recipec.runtime.errors import CheckpointError
from recipec.runtime.state import TrainState

RECIPE = """\
recipe b
data {{ source = iris()  normalize = standard }}
model {{
  {init}
  input [4]
  dense(5{freeze1}) batchnorm relu
  residual {{ dense(5) tanh }}
  dense(3{freeze3})
}}
loss = cross_entropy
optimizer = sgd(lr = 0.1, momentum = 0.9)
train {{ epochs = 1  batch = 16  seed = 2 }}
"""


def text(init: str = "", freeze1: str = "", freeze3: str = "") -> str:
    return RECIPE.format(init=init, freeze1=freeze1, freeze3=freeze3)


def model_tensors(seed: int = 7) -> dict[str, np.ndarray]:
    """What a trained run of this model would hold, as a checkpoint names it: parameters,
    statistics and a momentum slot (which an init must never copy)."""
    recipe = recipec.loads(text(), "x.recipe")
    program = recipec.compile(recipe)
    state = TrainState.fresh(program.graphs, seed)
    rng = np.random.default_rng(seed)
    out = {k: (v + rng.standard_normal(v.shape)).astype(np.float32)
           for k, v in state.named(program.graphs).items()}
    return out


def save(path: Path, tensors: dict[str, np.ndarray]) -> Path:
    from safetensors.numpy import save_file
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path))
    return path


def fresh_of(recipe_text: str, folder: Path):
    """(the program's initial state by name, a fresh draw of the same recipe without init)."""
    path = write(folder, "b.recipe", recipe_text)
    program = recipec.compile(recipec.load(path))
    plain = TrainState.fresh(program.graphs, program.recipe.train.seed).named(program.graphs)
    return program._fresh.named(program.graphs), plain, program



# -- static checks ------------------------------------------------------------------------------

@pytest.mark.parametrize("init,code,needle,mentions", [
    ('init = checkpoint("a.safetensors", layers = [dense_1, dense_9])', "E102", "dense_9",
     ("no layer named `dense_9`", "did you mean")),
    ('init = checkpoint("a.safetensors", layers = [relu_1])', "E102", "relu_1",
     ("has no parameters or statistics", "`dense_1`, `batchnorm_1`")),
    ('init = checkpoint("a.safetensors", layers = [dense_1, dense_1])', "E105", "dense_1]",
     "named twice"),
    ('init = checkpoint("a.safetensors", layers = ["dense_1"])', "E201", '"dense_1"',
     "without quotes"),
    ('init = checkpoint("a.safetensors", layers = [])', "E201", "[]", "a list of names"),
    ("init = checkpoint(runs)", "E201", "runs)", "expected a string"),
    ('init = checkpoint("  ")', "E202", '"  "', "the path is empty"),
    ('init = checkpont("a.safetensors")', "E104", "checkpont", "did you mean `checkpoint`"),
    ('init = checkpoint("a.safetensors", layer = [dense_1])', "E103", "layer =", "layers"),
    ('nit = checkpoint("a.safetensors")', "E101", "nit =", "did you mean `init`"),
    ('init = checkpoint(choice("a", "b"))', "E201", 'choice(', "search space"),
    ('init = checkpoint("a", layers = choice([dense_1], [dense_2]))', "E201", "choice(",
     "search space"),
])
def test_static_errors_point_at_what_to_change(tmp_path, init, code, needle, mentions):
    source = text(init)
    out = cli("check", "--no-data", write(tmp_path, "b.recipe", source))
    refused(out, code, at=line_col(source, needle), mentions=mentions)


def test_a_second_init_and_an_init_in_a_block_are_refused(tmp_path):
    source = text('init = checkpoint("a")\n  init = checkpoint("b")')
    refused(cli("check", "--no-data", write(tmp_path, "b.recipe", source)), "E105",
            at=line_col(source, "init", 1))
    source = text().replace("residual { dense(5) tanh }",
                            'residual { init = checkpoint("a") dense(5) tanh }')
    refused(cli("check", "--no-data", write(tmp_path, "c.recipe", source)), "E101",
            at=line_col(source, 'init = checkpoint("a")'), mentions="top level")


def test_every_parameter_frozen_is_refused_and_a_set_unfreezes(tmp_path):
    source = text(freeze1=", freeze = true", freeze3=", freeze = true").replace(
        "batchnorm relu", "batchnorm(freeze = true) relu").replace(
        "dense(5) tanh", "dense(5, freeze = true) tanh")
    path = write(tmp_path, "b.recipe", source)
    refused(cli("check", "--no-data", path), "E308", at=line_col(source, "model"),
            mentions=("nothing would train", "--set model.dense_3.freeze=false"))
    out = cli("check", "--no-data", path, "--set", "model.dense_3.freeze=false")
    accepted(out)
    assert "dense (frozen)" in out.out and "\ndense_3      dense  " in out.out, out.out
    refused(cli("check", "--no-data", path, "--set", "model.dense_3.freeze=maybe"), "E201")


def test_freeze_is_an_option_of_layers_with_parameters_only(tmp_path):
    source = text().replace("relu\n", "relu(freeze = true)\n", 1)
    refused(cli("check", "--no-data", write(tmp_path, "b.recipe", source)), "E103",
            at=line_col(source, "freeze"))


def test_a_named_block_stands_for_its_body_and_layers_keep_model_order(tmp_path):
    recipe = recipec.loads(text("init = checkpoint(\"a\", layers = [dense_3, residual_1, "
                                "batchnorm_1])"), str(tmp_path / "b.recipe"))
    assert recipe.model.init.layers == ("batchnorm_1", "dense_2", "dense_3")
    assert recipec.loads(text('init = checkpoint("a")'), "b.recipe").model.init.layers is None


# -- the file, read before any kernel -----------------------------------------------------------

def test_init_copies_exactly_the_named_layers(tmp_path):
    saved = model_tensors()
    save(tmp_path / "runs" / "a" / "step-000000000004.safetensors", saved)
    init, plain, program = fresh_of(text('init = checkpoint("runs/a", layers = [dense_1, '
                                         'batchnorm_1])'), tmp_path)
    copied = {"dense_1.weight", "dense_1.bias", "batchnorm_1.weight", "batchnorm_1.bias",
              "batchnorm_1.running_mean", "batchnorm_1.running_var"}
    assert set(program.transferred[1]) == copied
    for name, value in init.items():
        want = saved[name] if name in copied else plain[name]
        assert np.array_equal(value, want), name
    assert any(":velocity" in n for n in saved)          # in the file, and not copied:
    assert all(not value.any() for name, value in init.items() if ":velocity" in name)


def test_without_layers_every_layer_the_file_holds_is_copied(tmp_path):
    saved = {k: v for k, v in model_tensors().items() if not k.startswith("dense_3.")}
    save(tmp_path / "model" / "model.safetensors", saved)
    save(tmp_path / "model" / "step-000000000009.safetensors", {})   # a model folder wins
    init, plain, program = fresh_of(text('init = checkpoint("model")'), tmp_path)
    assert program.transferred[0].name == "model.safetensors"
    for name, value in init.items():
        if ":" in name:
            continue
        want = plain[name] if name.startswith("dense_3.") else saved[name]
        assert np.array_equal(value, want), name


def test_a_folder_of_checkpoints_gives_its_newest(tmp_path):
    old, new = model_tensors(1), model_tensors(2)
    save(tmp_path / "ck" / "step-000000000004.safetensors", old)
    save(tmp_path / "ck" / "step-000000000012.safetensors", new)
    init, _, program = fresh_of(text('init = checkpoint("ck", layers = [dense_3])'), tmp_path)
    assert program.transferred[0].name == "step-000000000012.safetensors"
    assert np.array_equal(init["dense_3.weight"], new["dense_3.weight"])


def test_a_relative_path_is_the_recipes_folder_s_and_check_reads_the_file(tmp_path):
    save(tmp_path / "recipes" / "w.safetensors", model_tensors())
    path = write(tmp_path / "recipes", "b.recipe",
                 text('init = checkpoint("w.safetensors", layers = [dense_1])'))
    out = cli("check", path, cwd=tmp_path)          # run from elsewhere
    accepted(out)
    assert "transfer   2 tensors of dense_1 from " in out.out, out.out


def _hostile_rows(tmp):
    saved = model_tensors()
    small = dict(saved, **{"dense_3.weight": np.zeros((5, 2), np.float32)})
    save(tmp / "small.safetensors", small)
    save(tmp / "partial.safetensors", {k: v for k, v in saved.items()
                                       if not k.startswith("dense_1.")})
    save(tmp / "f64.safetensors", dict(saved, **{"dense_1.bias": saved["dense_1.bias"]
                                                 .astype(np.float64)}))
    save(tmp / "other.safetensors", {"encoder.0.weight": np.zeros(3, np.float32)})
    whole = save(tmp / "whole.safetensors", saved).read_bytes()
    write(tmp, "cut.safetensors", whole[:len(whole) // 2])
    write(tmp, "garbage.safetensors", b"\xff" * 7)
    np.savez(tmp / "weights.npz", **{"dense_1.weight": saved["dense_1.weight"]})
    (tmp / "weights.npz").rename(tmp / "renamed.safetensors")
    (tmp / "empty_folder").mkdir()
    (tmp / "folder.safetensors").mkdir()
    return [
        ("nowhere.safetensors", "", "C001", "no such file or folder"),
        ("x" * 300 + ".safetensors", "", "C002", "cannot be opened"),
        ("empty_folder", "", "C001", "neither a model.safetensors nor"),
        ("folder.safetensors", "", "C001", "neither"),
        ("cut.safetensors", "", "C002", "not a readable safetensors file"),
        ("garbage.safetensors", "", "C002", "not a readable safetensors file"),
        ("renamed.safetensors", "", "C002", "not a readable safetensors file"),
        ("small.safetensors", "", "C005",
         ("tensor dense_3.weight is [5, 2] in the file and [5, 3] in this model",
          "`layers = [dense_1, batchnorm_1, dense_2]`")),
        ("small.safetensors", ", layers = [dense_1, dense_3]", "C005", "dense_3.weight is [5, 2]"),
        ("partial.safetensors", ", layers = [dense_1, dense_2]", "C005",
         "the file has no tensor dense_1.weight"),
        ("f64.safetensors", ", layers = [dense_1]", "C005", "dense_1.bias is F64 in the file"),
        ("other.safetensors", "", "C005", ("holds no tensor of this model's layers",
                                           "encoder.0.weight")),
    ]


def test_hostile_init_files_are_refused_at_the_call(tmp_path):
    for name, layers, code, mentions in _hostile_rows(tmp_path):
        source = text(f'init = checkpoint("{name}"{layers})')
        path = write(tmp_path, "b.recipe", source)
        at = line_col(source, "checkpoint(")
        refused(cli("check", path), code, at=at, mentions=mentions)
        refused(cli("run", path, "--quiet"), code, at=at, mentions=mentions)
        with pytest.raises(CheckpointError) as caught:     # the API: at compile, not at fit
            recipec.compile(recipec.load(path))
        assert caught.value.code == code and caught.value.span.line == at[0]
    # --no-data checks the text alone: the file is for the machine that trains
    accepted(cli("check", "--no-data", write(tmp_path, "c.recipe",
                                             text('init = checkpoint("nowhere")'))))


def test_the_readme_example_checks(tmp_path):
    """README's transfer recipe (a `text` block: `check` would read its checkpoints) is a
    valid recipe as written."""
    from readme_blocks import blocks
    [block] = [b for b in blocks() if b.text.startswith("recipe digits_finetune")]
    out = cli("check", "--no-data", write(tmp_path, "finetune.recipe", block.text))
    accepted(out)
    assert "conv2d (frozen)" in out.out and "batchnorm (frozen)" in out.out, out.out


def test_a_frozen_layer_counts_its_weights_alone_in_the_memory_check(tmp_path, monkeypatch):
    """1,001,000 parameters: 12 MB with their gradients and momentum slots, 4 MB frozen."""
    source = RECIPE.format(init="", freeze1="", freeze3="").replace(
        "input [4]\n  dense(5) batchnorm relu\n  residual { dense(5) tanh }\n",
        "input [1000]\n  dense(1000{f}) relu\n")
    monkeypatch.setenv("RECIPEC_MEMORY_BYTES", str(8 * 10 ** 6))
    trained = source.replace("{f}", "")
    refused(cli("check", "--no-data", write(tmp_path, "a.recipe", trained)), "E307",
            at=line_col(trained, "dense(1000)"))
    accepted(cli("check", "--no-data", write(tmp_path, "b.recipe",
                                             source.replace("{f}", ", freeze = true"))))
