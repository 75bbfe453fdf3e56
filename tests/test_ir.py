"""The textual IR (compiler/ir.py format_graph) of one small recipe, held against golden files
after build, autodiff and the CPU target's passes, for the train and the predict graph; and the
verifier after every stage.

When an intended change moves the IR, regenerate with RECIPEC_UPDATE_GOLDEN=1 and read the
diff: it is the review of what the change did to the compiler's output.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import recipec
from recipec.compiler.pipeline import compile_recipe, stage_names

GOLDEN = Path(__file__).parent / "golden"
RECIPE = """recipe tiny
data { source = iris() }
model { input [4] dense(5) relu dropout(0.25) dense(3) }
loss = cross_entropy
optimizer = sgd(lr = 0.1, momentum = 0.9, weight_decay = 1e-4)
train { epochs = 1 batch = 8 }
"""
STAGES = ("build", "autodiff", "fuse", "winners")


def _dumps() -> dict[str, str]:
    out: dict[str, str] = {}
    recipe = recipec.loads(RECIPE, "tiny.recipe")
    for stage in STAGES:
        compile_recipe(recipe, "cpu", lower=False, dump_after=stage,
                       on_dump=lambda title, text: out.__setitem__(title, text))
    return out


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("graph", ["train", "predict"])
def test_ir_matches_golden(graph, stage):
    text = _dumps()[f"{graph} graph after {stage}"] + "\n"
    path = GOLDEN / f"tiny.{graph}.{stage}.ir"
    if os.environ.get("RECIPEC_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}: run with RECIPEC_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"the IR after {stage} changed; see {path}"


def test_every_stage_can_be_dumped():
    assert stage_names("cpu") == ("build", "autodiff", "dce", "fuse", "epilogue", "winners")
    assert len(_dumps()) == 2 * len(STAGES)


def test_autodiff_adds_the_backward_pass_and_updates():
    dumps = _dumps()
    build, autodiff = dumps["train graph after build"], dumps["train graph after autodiff"]
    assert "sgd_update" not in build and autodiff.count("sgd_update(") == 4
    assert "softmax_ce_grad" in autodiff and "relu_grad" in autodiff
    assert "dropout" not in dumps["predict graph after build"]     # inference has no dropout
