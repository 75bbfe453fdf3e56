"""`recipec explain`: permutation importance finds the feature the labels depend on, treats a
text column's one-hot block as one feature, gives the same table twice, draws the chart, and
refuses an image model with a reason."""
from __future__ import annotations

import numpy as np

import recipec
from recipec.runtime.explain.importance import feature_groups, permutation_importance
from recipec.runtime.model import save_model
from tests.hostile import accepted, cli, write


def _tabular(tmp_path):
    rng = np.random.default_rng(0)
    rows = ["signal,noise1,colour,noise2,label"]
    for _ in range(400):
        signal, n1, n2 = rng.normal(size=3)
        colour = ["red", "blue", "green"][rng.integers(3)]
        label = int(signal > 0)                 # the label is the signal's sign, nothing else
        rows.append(f"{signal:.4f},{n1:.4f},{colour},{n2:.4f},{label}")
    write(tmp_path, "t.csv", "\n".join(rows) + "\n")
    path = write(tmp_path, "t.recipe", """recipe tab
data { source = csv("t.csv", label = "label")  normalize = standard  validation = 0.3 }
model { input [6] dense(16) relu dense(2) }
loss = cross_entropy
optimizer = adam(lr = 0.03)
train { epochs = 30  batch = 32 }
metrics = [accuracy]
""")
    program = recipec.compile(recipec.load(path))
    program.fit()
    return save_model(program, tmp_path / "model")


def test_the_signal_ranks_first_and_noise_near_zero(tmp_path):
    folder = _tabular(tmp_path)
    model = recipec.load_model(folder)
    groups = dict(feature_groups(model))
    assert len(groups["colour"]) == 3                 # one feature, three one-hot columns
    assert list(groups) == ["signal", "noise1", "colour", "noise2"]
    rows = model.rows("validation")
    table = permutation_importance(model, rows, repeats=4)
    assert table[0].feature == "signal"               # the signal column comes first, by name
    assert table[0].metric_drop > 0.2 and table[0].loss_increase > 0.3
    for t in table[1:]:
        assert abs(t.metric_drop) < 0.1, t
    again = permutation_importance(model, rows, repeats=4)
    assert again == table                              # seeded: the same table
    out = cli("explain", folder, "--split", "validation", "-o", tmp_path / "imp.png")
    accepted(out)
    assert "colour" in out.out and "accuracy drop" in out.out
    assert (tmp_path / "imp.png").read_bytes()[:4] == b"\x89PNG"


def test_an_image_model_gets_saliency_not_importance(tmp_path):
    path = write(tmp_path, "img.recipe", """recipe img
data { source = digits  reshape = [1, 8, 8] }
model { input [1, 8, 8] flatten dense(10) }
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 1 }
""")
    program = recipec.compile(recipec.load(path))
    program.fit()
    folder = save_model(program, tmp_path / "model")
    out = cli("explain", folder, "--split", "train", "-o", tmp_path / "s.png")
    assert out.code == 0 and "saliency" in out.out and (tmp_path / "s.png").exists()
