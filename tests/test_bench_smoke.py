"""The benchmark's machinery on tiny synthetic data: a few steps per case (`python -m bench
--smoke`). The recipes are the benchmark's own, so their kernels come from the kernel cache once
compiled; the PyTorch half is skipped when torch is not installed (`pip install -e '.[bench]'`).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:          # bench/ lives beside the package, not inside it
    sys.path.insert(0, str(ROOT))

from bench import mnist, run  # noqa: E402
from bench.cases import CASES, conv_available  # noqa: E402


def _results(out: Path) -> dict:
    from bench.report import chart_available

    if chart_available():
        assert (out / "latest.png").stat().st_size > 0
    return json.loads((out / "latest.json").read_text())


def test_missing_mnist_folder_falls_back(tmp_path):
    assert mnist.load_mnist(tmp_path) is None


def test_recipe_texts_check():
    import recipec

    for case in CASES:
        if case.needs_conv and not conv_available():
            continue
        recipe = recipec.loads(case.recipe_text(), f"{case.key}.recipe")
        assert recipe.train.batch == case.batch and recipe.model.flops > 0


def test_smoke_recipec_only(tmp_path):
    assert run.main(["--smoke", "--no-torch", "--no-jax", "--out", str(tmp_path)]) == 0
    res = _results(tmp_path)
    assert res["synthetic"] and res["sgemm"]["numpy_gflops"] > 0
    keys = {c["key"] for c in res["cases"]}
    assert {"mlp128_sgd_b64", "mlp128_sgd_b256", "mlp512_adam_b128"} <= keys
    for c in res["cases"]:
        assert c["recipec"]["samples_per_s"] > 0 and "torch" not in c
    assert "lenet_caffe" in {s["key"] for s in res["skipped"]}


def test_smoke_against_torch(tmp_path):
    pytest.importorskip("torch")
    import recipec
    from bench.torch_side import build_model, copy_params
    import torch

    # the weight mapping: recipec's [in, out] dense weights become torch's [out, in]
    case = CASES[0]
    program = recipec.compile(recipec.loads(case.recipe_text(), "m.recipe"))
    model = build_model(case.torch_layers)
    copy_params(model, [p.name for p in program.graphs.params], program.state.params)
    x = np.random.default_rng(0).uniform(0, 1, (8, 784)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(x)).numpy(), program.outputs(x),
                                   rtol=1e-4, atol=1e-5)

    assert run.main(["--smoke", "--out", str(tmp_path)]) == 0
    res = _results(tmp_path)
    for c in res["cases"]:
        assert c["torch"]["samples_per_s"] > 0 and c["ratio"] > 0
    parity = res["cases"][0]["parity"]
    assert parity["pass"], parity


def test_smoke_against_jax(tmp_path):
    """The compiled peer: both JAX variants timed, their first losses recipec's (without JAX
    installed, each case says why it was skipped)."""
    from bench.jax_side import available

    assert run.main(["--smoke", "--no-torch", "--out", str(tmp_path)]) == 0
    res = _results(tmp_path)
    if available() is not None:
        assert all(c["jax_skipped"] == available() for c in res["cases"])
        pytest.skip(available())
    for c in res["cases"]:
        assert c["jax_step"]["samples_per_s"] > 0 and c["jax_scan"]["samples_per_s"] > 0
        assert c["ratio_jax"] > 0 and c["parity_jax"]["pass"], c["parity_jax"]


def test_smoke_contend(tmp_path):
    """--contend times each system quiet and beside a busy process; the figures are the
    benchmark's, so the test asserts only that both conditions were measured."""
    args = ["--smoke", "--contend", "--cases", "mlp128_sgd_b64", "--out", str(tmp_path)]
    try:
        import torch  # noqa: F401
    except ImportError:
        args.append("--no-torch")
    assert run.main(args) == 0
    res = json.loads((tmp_path / "contend.json").read_text())
    (row,) = res["cases"]
    assert row["key"] == "mlp128_sgd_b64"
    assert row["recipec_quiet"] > 0 and row["recipec_busy"] > 0 and row["recipec_kept"] > 0
    assert row["threads_at_end"] >= 1


def test_smoke_csv_load(tmp_path, capsys):
    # the CSV-load benchmark end to end on a tiny file: generates it, reads it in each
    # reader's own process, and writes the figures
    import json

    from bench import csv_load

    out = tmp_path / "csv_load.json"
    assert csv_load.main(["--rows", "2000", "--repeats", "1", "--dir", str(tmp_path),
                          "--readers", "recipec,pyarrow", "--out", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert set(results) == {"recipec", "pyarrow"}
    assert all(r["seconds"] > 0 for r in results.values())
    assert "x pyarrow" in capsys.readouterr().out


def test_smoke_csv_load_columnar_twins(tmp_path):
    # the Parquet and Feather readers on the table's twins, written once beside the CSV
    import json

    from bench import csv_load

    out = tmp_path / "csv_load.json"
    assert csv_load.main(["--rows", "2000", "--repeats", "1", "--dir", str(tmp_path),
                          "--readers", "recipec parquet,recipec feather", "--out", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert set(results) == {"recipec parquet", "recipec feather"}
    assert all(r["seconds"] > 0 and r["peak_extra_mib"] >= 0 for r in results.values())
    assert {p.suffix for p in tmp_path.iterdir()} >= {".csv", ".parquet", ".feather"}
