"""recipes/digits_images.recipe end to end: digits written as PNG files by
recipes/make_digit_images.py, read back by images(...), trained by `recipec run`.

The quick test trains 2 epochs on a subset (it compiles the recipe's kernels: tier cpu); the
slow one trains the whole example and checks the figure the README gives.
"""
from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
from hostile import accepted, cli

import recipec

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def example(tmp_path: Path, limit: int | None = None) -> Path:
    """The recipe copied into tmp_path, its images in tmp_path/data/digit_images."""
    spec = importlib.util.spec_from_file_location("make_digit_images",
                                                  RECIPES / "make_digit_images.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.write_digit_images(tmp_path / "data" / "digit_images", limit=limit)
    return Path(shutil.copy(RECIPES / "digits_images.recipe", tmp_path))


def accuracy(text: str, split: str) -> float:
    return float(re.search(rf"^{split}: loss \S+  accuracy (\S+)$", text, re.M)[1])


def test_the_example_trains_on_a_subset(tmp_path):
    recipe = example(tmp_path, limit=400)
    out = cli("run", recipe, "--set", "train.epochs=2")
    accepted(out)
    assert "images data/digit_images/train (320 images, 10 classes, 16x16 gray)" in out.err
    assert "test: images data/digit_images/test (80 images" in out.err
    first = float(re.search(r"^epoch 1/2 .* loss (\S+)", out.text, re.M)[1])
    last = float(re.search(r"^train: loss (\S+)", out.text, re.M)[1])
    assert last < first                 # it learns: the loss falls within two epochs
    assert accuracy(out.text, "test") > 0.3      # ten classes: chance is 0.1


@pytest.mark.slow
def test_the_example_reaches_its_figure(tmp_path):
    program = recipec.compile(recipec.load(example(tmp_path)))
    history = program.fit()
    test = program.evaluate("test")["accuracy"]
    print(f"digits_images: test accuracy {test:.4f} in {history.train_seconds:.1f} s")
    assert test >= 0.95
