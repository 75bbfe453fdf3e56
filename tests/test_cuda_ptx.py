"""The generated CUDA kernels compile to PTX for sm_90 with numba-cuda's real compiler (its
typing and libNVVM; no GPU needed). The simulator, which the other CUDA tests use, runs the
kernels as Python and so cannot catch a kernel Numba CUDA would refuse to type. Runs in one
subprocess because this test session runs under NUMBA_ENABLE_CUDASIM=1; skips, saying why,
where libNVVM is not installed (`pip install 'numba-cuda[cu12]'`; .ci/run installs it).
Each compile takes 5-30 s (the whole step is one kernel), so the recipes are few and cover
every op family the CUDA target emits between them.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cuda

ROOT = Path(__file__).resolve().parents[1]

SMALL = """recipe small
data {{ source = iris  normalize = standard }}
model {{ input [4] dense(8) relu dense({outputs}) }}
loss = {loss}
optimizer = {optimizer}
train {{ epochs = 1  batch = 8 }}
"""

RECIPES = {
    "iris_mlp": (ROOT / "recipes" / "iris_mlp.recipe").read_text(),
    "breast_cancer_bce": (ROOT / "recipes" / "breast_cancer_bce.recipe").read_text(),
    "everything": """recipe everything
data { source = digits  reshape = [1, 8, 8]  normalize = standard
       augment = [shift(1), flip(horizontal = true), rotate(10), noise(0.1)] }
model { input [1, 8, 8] flatten dense(16, l1 = 0.001, l2 = 0.01, max_norm = 2) batchnorm relu
        dropout(0.2) dense(16) batchnorm(freeze = true) relu dense(10) }
loss = cross_entropy(label_smoothing = 0.1, class_weights = [1, 1, 1, 1, 1, 2, 1, 1, 1, 1])
optimizer = nadam(lr = 0.01)
clip = norm(1.0)
train { epochs = 1  batch = 8 }
""",
    # every conv and pool kernel, 2-D and 1-D, with padding, strides and overlapping windows
    "convnet": """recipe convnet
data { source = digits  reshape = [1, 8, 8]  normalize = standard }
model { input [1, 8, 8] conv2d(3, 3, padding = same) relu maxpool2d(3, stride = 2)
        conv2d(4, 2, stride = 2, padding = 1) avgpool2d(2, stride = 1) flatten dense(10) }
loss = cross_entropy
optimizer = adam(lr = 0.01)
train { epochs = 1  batch = 8 }
""",
    "conv1d": """recipe conv1d
data { source = digits  reshape = [4, 16]  normalize = standard }
model { input [4, 16] conv1d(3, 4, padding = same) relu maxpool1d(3, stride = 2)
        conv1d(4, 3, stride = 2, padding = 1) avgpool1d(2) flatten dense(10) }
loss = cross_entropy
optimizer = sgd(lr = 0.1)
train { epochs = 1  batch = 8 }
""",
    "rmsprop_hinge": SMALL.format(outputs=3, loss="hinge",
                                  optimizer="rmsprop(lr = 0.01, momentum = 0.9, centered = true)"),
    "adagrad_mae": SMALL.format(outputs=1, loss="mae", optimizer="adagrad(lr = 0.1)"),
    # distillation's loss, its gradient and the label column (the teacher only checks here)
    "distill": SMALL.format(outputs=3, loss="cross_entropy", optimizer="adam(lr = 0.01)")
    + 'distill { teacher = "recipes/iris_mlp.recipe"  temperature = 2 }\n',
    "nesterov_huber": SMALL.format(outputs=1, loss="huber",
                                   optimizer="sgd(lr = 0.1, momentum = 0.9, nesterov = true)"),
}

SCRIPT = r'''
import json, sys
from recipec.compiler.check import check_source
from recipec.compiler.pipeline import compile_recipe
from recipec.compiler.lower import TargetUnavailable
from recipec.compiler.lower.cuda.ptx import compile_ptx
results = {}
for name, text in json.loads(sys.stdin.read()).items():
    recipe = check_source(text, name + ".recipe", [])
    graphs = compile_recipe(recipe, "cuda", lower=False).graphs
    try:
        ptx = compile_ptx(graphs)
    except TargetUnavailable as err:
        print(json.dumps({"unavailable": err.render()}))
        sys.exit(0)
    except Exception as err:
        results[name] = f"{type(err).__name__}: {err}"[:2000]
        continue
    results[name] = all(".target sm_90" in p and ".entry" in p for p in ptx.values())
print(json.dumps(results))
'''


def test_every_cuda_op_family_compiles_to_ptx():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], input=json.dumps(RECIPES),
                         capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads(out.stdout.strip().splitlines()[-1])
    if "unavailable" in results:
        pytest.skip(results["unavailable"])
    failed = {name: why for name, why in results.items() if why is not True}
    assert not failed, failed
    assert set(results) == set(RECIPES)
