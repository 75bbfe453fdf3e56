"""The trained model as an artefact: saved by `recipec run` and `save_model`, read back by
`recipec.load_model`, `recipec eval` and `recipec predict`, with bitwise the predictions and
exactly the metrics of the program that trained it; damaged folders refused."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

import recipec
from recipec.runtime.model import save_model
from tests.hostile import ROOT, accepted, cli, refused, write

RECIPES = ROOT / "recipes"
MNIST1D = ROOT.parent / "shared" / "data" / "mnist1d" / "mnist1d_data.npz"


def trained(path, overrides, folder: Path, base_dir=None):
    """(program, model folder) of a short training of the recipe at `path`."""
    recipe = recipec.load(path, overrides)
    program = recipec.compile(recipe, base_dir=base_dir)
    program.fit()
    return program, save_model(program, folder)


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    folder = tmp_path_factory.mktemp("iris") / "model"
    return trained(RECIPES / "iris_mlp.recipe", ["train.epochs=2"], folder)


def iris_rows():
    from sklearn.datasets import load_iris
    d = load_iris()
    return d.data[::3], d.target[::3], tuple(d.target_names)


def test_iris_round_trip_is_bitwise(iris):
    program, folder = iris
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.safetensors",
                                                         "recipe.recipe"]
    assert (folder / "recipe.recipe").read_text() == program.recipe.source
    manifest = json.loads((folder / "model.json").read_text())
    assert manifest["recipe"]["overrides"] == ["train.epochs=2"]
    model = recipec.load_model(folder)
    assert model.class_names == ("setosa", "versicolor", "virginica")
    assert model.recipe.train.epochs == 2 and model.recipe.name == "iris_mlp"
    x, _, _ = iris_rows()
    np.testing.assert_array_equal(model.predict(x), program.predict(x))
    for split in ("validation", "train"):
        assert model.evaluate(split) == program.evaluate(split)
    with pytest.raises(ValueError, match="no test split"):
        model.evaluate("test")


def test_loaded_model_never_refits(iris, monkeypatch):
    """The stored statistics prepare the rows: fitting them again would fail here."""
    from recipec.runtime.data import preprocess
    program, folder = iris
    model = recipec.load_model(folder)

    def refit(*args, **kwargs):
        raise AssertionError("fit_normalization called")
    monkeypatch.setattr(preprocess, "fit_normalization", refit)
    monkeypatch.setattr("recipec.runtime.data.fit_normalization", refit)
    assert model.evaluate("validation") == program.evaluate("validation")
    np.testing.assert_array_equal(model.preparation.norm_shift, program.data.norm_shift)


def test_optimizer_slots_are_not_saved(iris):
    from recipec.runtime.checkpoint import parse_blob
    program, folder = iris
    tensors, _ = parse_blob((folder / "model.safetensors").read_bytes())
    slots = {s.name for s in program.graphs.slots}
    assert slots and not slots & set(tensors)
    assert {p.name for p in program.graphs.params} <= set(tensors)


def test_eval_data_csv_and_predict_csv(iris, tmp_path):
    program, folder = iris
    x, y, names = iris_rows()
    data = tmp_path / "part.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "b", "c", "d", "label"])
        w.writerows([[repr(float(v)) for v in r] + [names[t]] for r, t in zip(x, y)])
    expected = program.evaluate_part(recipec.runtime.data.Split(program.prepare_inputs(x), y))
    report = tmp_path / "r.json"
    out = cli("eval", folder, "--data", data, "--report", report)
    accepted(out)
    assert json.loads(report.read_text())["metrics"] == expected
    assert json.loads(report.read_text())["rows"] == len(x)
    assert f"loss {expected['loss']:.4f}" in out.out
    # predict: the label column is left out; without it too
    for given in (data, write(tmp_path, "nolabel.csv",
                              "\n".join(",".join(repr(float(v)) for v in r) for r in x) + "\n")):
        accepted(cli("predict", folder, given, "-o", tmp_path / "out.csv"))
        rows = list(csv.reader(open(tmp_path / "out.csv")))
        assert rows[0] == ["class", *names]
        probs = np.array([[np.float32(v) for v in r[1:]] for r in rows[1:]])
        want = program.predict(x)
        np.testing.assert_array_equal(probs, want)
        assert [r[0] for r in rows[1:]] == [names[i] for i in want.argmax(axis=1)]


def test_run_leaves_a_model_and_reports_it(tmp_path):
    report = tmp_path / "r.json"
    out = cli("run", RECIPES / "iris_mlp.recipe", "--set", "train.epochs=1", "--model",
              tmp_path / "m", "--report", report)
    accepted(out)
    assert json.loads(report.read_text())["model"] == str(tmp_path / "m")
    assert f"model {tmp_path / 'm'}" in out.err
    final = json.loads(report.read_text())["final"]["validation"]
    model = recipec.load_model(tmp_path / "m")
    assert model.evaluate("validation") == final
    # a second run replaces the model whole; --quiet says nothing about it
    out = cli("run", RECIPES / "iris_mlp.recipe", "--set", "train.epochs=1", "--model",
              tmp_path / "m", "--quiet")
    accepted(out)
    assert "model" not in out.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "r.json"]


def test_eval_test_split_of_a_cnn_with_scale_per_channel_and_batchnorm(tmp_path):
    if not MNIST1D.exists():
        pytest.skip(f"{MNIST1D} is not here")
    text = f"""recipe tiny_cnn
data {{
  source    = npz("{MNIST1D}", x_test = "x_test", y_test = "y_test")
  reshape   = [1, 40]
  scale     = 0.5
  normalize = per_channel
}}
model {{
  input [1, 40]
  conv1d(4, 5, stride = 2) batchnorm relu
  flatten
  dense(10)
}}
loss = cross_entropy
optimizer = sgd(lr = 0.05, momentum = 0.9)
train {{ steps = 12  batch = 64  seed = 1 }}
metrics = [accuracy, confusion]
"""
    recipe_file = write(tmp_path, "tiny_cnn.recipe", text)
    report = tmp_path / "run.json"
    accepted(cli("run", recipe_file, "--model", tmp_path / "m", "--report", report, "--quiet"))
    final = json.loads(report.read_text())["final"]
    model = recipec.load_model(tmp_path / "m")
    from recipec.runtime.checkpoint import parse_blob
    saved, _ = parse_blob((tmp_path / "m" / "model.safetensors").read_bytes())
    stats = model.program.graphs.stats
    assert stats and all(s.name in saved for s in stats)
    assert any(not np.all(saved[s.name] == s.initial) for s in stats)   # trained, then saved
    assert model.evaluate("test") == final["test"]
    assert model.evaluate("train") == final["train"]
    out = cli("eval", tmp_path / "m", "--report", tmp_path / "e.json")
    accepted(out)
    assert json.loads((tmp_path / "e.json").read_text())["metrics"] == final["test"]
    assert "confusion (test" in out.out
    # predict from an .npz of raw [N, 40] signals: as the program predicts them
    with np.load(MNIST1D, allow_pickle=False) as d:
        x = d["x_test"][:7]
    np.savez(tmp_path / "in.npz", x=x)
    recipe = recipec.load(recipe_file)
    program = recipec.compile(recipe)
    program.executable.load_state(model.program.executable.state())
    program.load_data()
    np.testing.assert_array_equal(model.predict(x), program.predict(x))
    accepted(cli("predict", tmp_path / "m", tmp_path / "in.npz", "-o", tmp_path / "p.csv"))
    rows = list(csv.reader(open(tmp_path / "p.csv")))
    assert len(rows) == 8 and rows[0][0] == "class"


@pytest.fixture(scope="module")
def housing(tmp_path_factory):
    import subprocess
    import sys
    folder = tmp_path_factory.mktemp("housing")
    subprocess.run([sys.executable, RECIPES / "make_housing.py", folder / "data" / "housing.csv",
                    "--rows", "300"], check=True, capture_output=True)
    recipe = write(folder, "housing.recipe", (RECIPES / "housing_clean.recipe").read_text())
    return (*trained(recipe, ["train.epochs=2"], folder / "model"), folder)


def test_text_categories_and_impute_predict_raw_rows(housing, tmp_path):
    program, folder, root = housing
    lines = (root / "data" / "housing.csv").read_text().splitlines()
    header = lines[0].split(",")
    raw = [r.split(",") for r in lines[1:21]]
    assert any("" in r for r in raw), "want rows with missing cells"
    # the rows as Program.predict takes them: text one-hot by the stored categories
    cats = {c.name: c for c in program.data.categories}
    encoded = []
    for r in raw:
        row = []
        for name, cell in zip(header, r):
            if name == "price":
                continue
            if name in cats:
                row += [1.0 if cell == v else 0.0 for v in cats[name].values]
            else:
                row.append(float(cell) if cell else math.nan)
        encoded.append(row)
    want = program.predict(np.array(encoded))
    model = recipec.load_model(folder)
    np.testing.assert_array_equal(model.predict(np.array(encoded)), want)
    data = write(tmp_path, "rows.csv", "\n".join(lines[:21]) + "\n")
    accepted(cli("predict", folder, data, "-o", tmp_path / "out.csv"))
    rows = list(csv.reader(open(tmp_path / "out.csv")))
    assert rows[0] == ["output"]
    np.testing.assert_array_equal(np.array([[np.float32(r[0])] for r in rows[1:]]), want)
    assert model.evaluate("validation") == program.evaluate("validation")
    out = cli("eval", folder, "--data", data)
    accepted(out)
    assert "(20 rows)" in out.out


# -- refused, never a traceback -------------------------------------------------------------
def test_damaged_models_are_refused(iris, tmp_path):
    import shutil
    _, folder = iris
    refused(cli("eval", tmp_path / "nowhere"), "M001", mentions="no such model folder")
    truncated = tmp_path / "truncated"
    shutil.copytree(folder, truncated)
    blob = (truncated / "model.safetensors").read_bytes()
    (truncated / "model.safetensors").write_bytes(blob[: len(blob) // 2])
    refused(cli("eval", truncated), "M002", mentions=("model.safetensors", "truncated"))
    half = tmp_path / "half"
    shutil.copytree(folder, half)
    (half / "model.json").unlink()
    refused(cli("predict", half, "x.csv", "-o", tmp_path / "o.csv"), "M002",
            mentions="model.json is missing")
    with pytest.raises(recipec.ModelError, match="model.json is missing"):
        recipec.load_model(half)
    flipped = tmp_path / "flipped"
    shutil.copytree(folder, flipped)
    blob = bytearray((flipped / "model.safetensors").read_bytes())
    blob[-1] ^= 0xFF
    (flipped / "model.safetensors").write_bytes(bytes(blob))
    refused(cli("eval", flipped), "M002")
    assert not (tmp_path / "o.csv").exists()


def test_hostile_inputs(iris, tmp_path):
    _, folder = iris
    out = tmp_path / "out.csv"
    wide = write(tmp_path, "wide.csv", "1,2,3,4,5,6\n1,2,3,4,5,6\n")
    refused(cli("predict", folder, wide, "-o", out), "D003", mentions=("wide.csv", "takes 4"))
    word = write(tmp_path, "word.csv", "a,b,c,d\n1,2,x,4\n")
    refused(cli("predict", folder, word, "-o", out), "D003",
            mentions=("word.csv", "row 2", "'x' is not a number"))
    empty = write(tmp_path, "empty.csv", "1,2,,4\n")
    refused(cli("predict", folder, empty, "-o", out), "M003",
            mentions=("empty.csv", "finite number"))
    np.save(tmp_path / "flat.npy", np.zeros((3, 5)))
    refused(cli("predict", folder, tmp_path / "flat.npy", "-o", out), "M003",
            mentions=("flat.npy", "[N, 4]"))
    (tmp_path / "pickle.npy").write_bytes(b"\x80\x04not numpy")
    refused(cli("predict", folder, tmp_path / "pickle.npy", "-o", out), "D002")
    refused(cli("predict", folder, tmp_path / "absent.csv", "-o", out), "D001")
    refused(cli("predict", folder, wide, "-o", tmp_path), mentions="is a folder")
    assert not out.exists()
    unknown = write(tmp_path, "unknown.csv", "a,b,c,d,label\n1,2,3,4,setosa\n1,2,3,4,rose\n")
    refused(cli("eval", folder, "--data", unknown), "D004", mentions=("unknown.csv", "'rose'"))
    big = write(tmp_path, "big.csv", "a,b,c,d,label\n1,2,3,4,7\n")
    refused(cli("eval", folder, "--data", big), "D004", mentions=("big.csv",))
    refused(cli("eval", folder, "--data", tmp_path / "nothing.csv"), "D001")
    refused(cli("eval", folder, "--split", "test"), mentions="no test split")
    refused(cli("eval", folder, "--data", unknown, "--split", "train"), mentions="give one")


def test_an_unusable_model_folder_is_refused_before_training(tmp_path):
    write(tmp_path, "other/notes.txt", "mine")
    for folder, why in ((write(tmp_path, "afile", "x"), "is a file"),
                        (tmp_path / "other", "not a recipec model")):
        out = cli("run", RECIPES / "iris_mlp.recipe", "--model", folder)
        refused(out, mentions=(f"--model {folder}", why))
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_binary_model_predicts_class_and_probability(tmp_path):
    from sklearn.datasets import load_breast_cancer
    program, folder = trained(RECIPES / "breast_cancer_bce.recipe", ["train.epochs=1"],
                              tmp_path / "m")
    model = recipec.load_model(folder)
    assert model.evaluate("validation") == program.evaluate("validation")
    x = load_breast_cancer().data[:6]
    np.save(tmp_path / "x.npy", x)
    accepted(cli("predict", folder, tmp_path / "x.npy", "-o", tmp_path / "p.csv"))
    rows = list(csv.reader(open(tmp_path / "p.csv")))
    want = program.predict(x)[:, 0]
    assert rows[0] == ["class", "probability"]
    np.testing.assert_array_equal([np.float32(r[1]) for r in rows[1:]], want)
    names = model.class_names
    assert [r[0] for r in rows[1:]] == [names[int(p >= 0.5)] for p in want]
    # eval --data of .npy inputs takes their labels' file
    x, y = load_breast_cancer().data[::40], load_breast_cancer().target[::40]
    assert 0 < y.sum() < len(y)                 # both classes, so auc is a number
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    refused(cli("eval", folder, "--data", tmp_path / "x.npy"), "D004", mentions="--labels")
    report = tmp_path / "e.json"
    accepted(cli("eval", folder, "--data", tmp_path / "x.npy", "--labels", tmp_path / "y.npy",
                 "--report", report))
    assert json.loads(report.read_text())["metrics"] == model.evaluate((x, y))


def test_balanced_class_weights_are_stored_not_recomputed(tmp_path):
    """The weights come from the training labels, which a model folder does not hold."""
    program, folder = trained(RECIPES / "iris_mlp.recipe",
                              ["train.epochs=1", "loss=cross_entropy(class_weights = balanced)",
                               "data.validation=0.4"], tmp_path / "m")
    manifest = json.loads((folder / "model.json").read_text())
    assert manifest["class_weights"] and len(manifest["class_weights"]) == 3
    model = recipec.load_model(folder)
    assert model.evaluate("validation") == program.evaluate("validation")
    x, y, _ = iris_rows()
    assert model.evaluate((x, y)) == program.evaluate_part(
        recipec.runtime.data.Split(program.prepare_inputs(x), y))
