"""The harness of the hostile-input tests (tests/test_hostile_*.py).

Every hostile case is an input a user can give (a recipe, a data file, a command line, a Python
call) and asserts four things: the exit code, no Python traceback, a diagnostic with its
location where one applies, and that no training started when the input is wrong.

    out = cli("check", write(tmp_path, "bad.recipe", text))
    refused(out, "E203", at=(4, 12))       # exit 2, file:4:12: error[E203]: ...
    assert not out.trained

`cli` runs `recipec.runtime.cli.main` in this process (a subprocess costs ~2 s of imports per
case); `cli_subprocess` is for the few cases that must see the real process's stderr.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
DIAGNOSTIC = re.compile(r"^(?P<file>\S.*?):(?P<line>\d+):(?P<col>\d+): "
                        r"(?P<level>error|warning)\[(?P<code>[A-Z]\d{3})\]: ", re.M)
DATA_ERROR = re.compile(r"error\[(?P<code>[DCM]\d{3})\]: ")
TRAINING_MARKS = ("kernels ready in", "epoch 1")


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def trained(self) -> bool:
        """True when the run reached the kernels (the CLI prints 'kernels ready' first)."""
        return any(mark in self.text for mark in TRAINING_MARKS)

    def diagnostics(self) -> list[re.Match]:
        return list(DIAGNOSTIC.finditer(self.err))


def cli(*args, cwd: str | Path | None = None) -> Outcome:
    """`recipec ARGS...` in this process; argparse's own exits count as exit codes."""
    from recipec.runtime.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as stop:            # argparse: usage errors exit 2
                code = stop.code if isinstance(stop.code, int) else 1
    finally:
        os.chdir(old)
    return Outcome(int(code), out.getvalue(), err.getvalue())


def cli_subprocess(*args, cwd: str | Path | None = None, timeout: float = 600) -> Outcome:
    proc = subprocess.run([sys.executable, "-m", "recipec", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def no_traceback(outcome: Outcome) -> None:
    assert "Traceback" not in outcome.text, outcome.text
    assert "internal error" not in outcome.text, outcome.text


def refused(outcome: Outcome, code: str | None = None, at: tuple[int, int] | None = None,
            mentions: tuple[str, ...] | str = ()) -> None:
    """Exit 2 with a diagnostic; `code` (E123 or D003) must be among those printed, `at`
    (line, col) the location of one of them, and every `mentions` string in stderr."""
    assert outcome.code == 2, f"exit {outcome.code}\n{outcome.text}"
    no_traceback(outcome)
    located = outcome.diagnostics()
    codes = {m["code"] for m in located} | {m["code"] for m in DATA_ERROR.finditer(outcome.err)}
    assert codes or "error" in outcome.err, outcome.err
    if code is not None:
        assert code in codes, f"expected {code}, got {sorted(codes)}\n{outcome.err}"
    if at is not None:
        where = {(int(m["line"]), int(m["col"])) for m in located
                 if code is None or m["code"] == code}
        assert at in where, f"expected a diagnostic at {at}, got {sorted(where)}\n{outcome.err}"
    for text in (mentions,) if isinstance(mentions, str) else mentions:
        assert text in outcome.err, f"{text!r} not in\n{outcome.err}"
    assert not outcome.trained, outcome.text


def accepted(outcome: Outcome) -> None:
    assert outcome.code == 0, f"exit {outcome.code}\n{outcome.text}"
    no_traceback(outcome)


def line_col(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based (line, col) of `needle` in `text`, to say where a diagnostic must point."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return line, col
