"""The `recipec` command end to end: diagnostics for bad input, run with a report, compile output.

Malformed recipes of every kind must give exit code 2 and a `file:line:col` diagnostic, never a
Python traceback.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "recipes" / "digits_mlp.recipe"
LOCATED = re.compile(r"^\S+:\d+:\d+: error\[E\d{3}\]: ", re.M)


def recipec(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "recipec", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200"})
    return proc.returncode, proc.stdout, proc.stderr


VALID = DIGITS.read_text()
MALFORMED = {
    "typo_layer": VALID.replace("dense(128", "desne(128"),
    "typo_section": VALID.replace("train {", "trian {"),
    "typo_optimizer": VALID.replace("adam(", "adma("),
    "wrong_type": VALID.replace("batch = 32", "batch = fast"),
    "out_of_range": VALID.replace("dropout(0.2)", "dropout(1.5)"),
    "negative_lr": VALID.replace("lr = 1e-3", "lr = -0.1"),
    "shape_mismatch": VALID.replace("input [64]", "input [8, 8]"),
    "truncated": VALID[: len(VALID) // 2],
    "unclosed_brace": VALID.replace("dense(10, init = xavier)\n}", "dense(10, init = xavier)\n"),
    "empty": "",
    "binary": bytes(range(256)).decode("latin-1"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_recipe_gives_diagnostic_and_exit_2(tmp_path, case):
    path = tmp_path / f"{case}.recipe"
    path.write_bytes(MALFORMED[case].encode("latin-1" if case == "binary" else "utf-8"))
    code, out, err = recipec("check", path)
    assert code == 2, err
    assert "Traceback" not in err + out
    assert LOCATED.search(err), err
    assert str(path) in err


def test_random_bytes_never_traceback(tmp_path):
    import random

    rng = random.Random(7)
    paths = []
    for i in range(5):
        path = tmp_path / f"garbage{i}.recipe"
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
        paths.append(path)
    for path in paths:
        code, out, err = recipec("check", path)
        assert code == 2 and "Traceback" not in err and LOCATED.search(err), err


def test_missing_file_is_a_diagnostic(tmp_path):
    code, _, err = recipec("check", tmp_path / "nope.recipe")
    assert code == 2 and "nope.recipe" in err and "Traceback" not in err


def test_check_prints_model_summary():
    code, out, err = recipec("check", DIGITS)
    assert code == 0, err
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["dense_1"][2:] == ["[128]", "8,320", "16,512"]
    assert rows["dense_2"][2:] == ["[10]", "1,290", "2,570"]
    assert rows["total"][1:] == ["9,610", "19,338"]


def test_run_writes_report_and_honours_overrides(tmp_path):
    report = tmp_path / "out" / "report.json"
    code, out, err = recipec("run", DIGITS, "--set", "train.epochs=2", "--report", report)
    assert code == 0, err
    data = json.loads(report.read_text())
    assert len(data["history"]) == 2
    assert 0.0 <= data["final"]["validation"]["accuracy"] <= 1.0
    assert data["timings"]["steps_per_second"] > 0
    # the data's load is measured before compiling, printed and kept in the report
    assert 0 < data["timings"]["data_seconds"] < data["timings"]["train_seconds"] + 60
    assert data["timings"]["data_peak_rss_mib"] > 10
    assert re.search(r"1,797 samples read and checked in \d+\.\d\d s \(peak memory [\d,]+ MiB\)",
                     err), err
    assert "validation:" in out


def test_missing_data_file_names_the_file(tmp_path):
    recipe = tmp_path / "r.recipe"
    recipe.write_text(VALID.replace("digits()", 'csv("no_such.csv", label = "y")'))
    code, _, err = recipec("run", recipe)
    assert code == 2 and "no_such.csv" in err and "Traceback" not in err


def test_compile_emits_ir_and_numba_source():
    code, out, err = recipec("compile", DIGITS, "--emit", "ir")
    assert code == 0, err
    assert "matmul" in out and "adam_update" in out and "fused(" in out
    code, out, err = recipec("compile", DIGITS, "--emit", "numba")
    assert code == 0, err
    assert "def _c_train_chunk(" in out and "train_chunk = _machine_code.Entry(" in out
    assert "prange" in out
    assert "gemm(" in out or "np.dot(" in out       # CBLAS when numpy's BLAS exports it
    code, out, err = recipec("compile", DIGITS, "--dump-after", "dce")
    assert code == 0 and "train graph after dce" in out and "predict graph after dce" in out


def test_more_classes_than_logits_is_a_data_error(tmp_path):
    """Kernels do not bounds-check, so this must be caught before training starts."""
    recipe = tmp_path / "r.recipe"
    recipe.write_text(VALID.replace("dense(10, init = xavier)", "dense(4, init = xavier)"))
    code, _, err = recipec("run", recipe)
    assert code == 2 and "10 classes" in err and "dense(10)" in err and "Traceback" not in err


def test_bad_threads_setting_is_an_error_not_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "recipec", "check", str(DIGITS)],
                          capture_output=True, text=True,
                          env={**os.environ, "RECIPEC_THREADS": "both"})
    assert proc.returncode == 2 and "RECIPEC_THREADS" in proc.stderr
    assert "Traceback" not in proc.stderr
