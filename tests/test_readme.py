"""Every fenced code block of README.md runs, as written, or says why not (readme_blocks.py).

- `bash` blocks: each line is a `recipec` command, run in this process from the repository
  root and expected to exit 0. The README's recipes train in seconds (digits), so they run as
  written, with no step cap.
- `template` blocks stand for the user's own data (`/data/mnist`): such a path exists on no
  test machine, and the workspace's own copy (../shared) on no user's, so the test puts a tiny
  but valid stand-in (four IDX files) in a temporary folder, substitutes its path and runs
  `recipec check` with the same arguments: the command line is tested, the training is not.
- `recipe` blocks are checked (no kernel); a `diagnostic` block is what `recipec check` prints
  for the recipe block above it with the line the diagnostic shows, exit 2.
- `python` blocks run with exec in a fresh namespace, cwd the repository root.
The check-only tests are marked frontend; the ones that train compile kernels (tier cpu).
"""
from __future__ import annotations

import contextlib
import io
import re
import shlex
import struct

import pytest

from hostile import accepted, cli
from readme_blocks import KINDS, ROOT, blocks, commands

BLOCKS = blocks()
RUNNABLE = ("bash", "python", "recipe")
SHELL = [(b, line, cmd) for b in BLOCKS if b.lang == "bash" and b.kind in (None, "template")
         for line, cmd in commands(b)]


def _id(block, line, cmd) -> str:
    return f"line{line}-" + "-".join(re.sub(r"\W+", "_", w) for w in shlex.split(cmd, comments=True)[1:3])


@pytest.mark.frontend
def test_every_block_is_run_or_says_why_not():
    assert len(BLOCKS) >= 10, "README.md's blocks were not found"
    for b in BLOCKS:
        assert b.kind in (None, *KINDS), f"{b.where}: unknown marker kind {b.kind!r}"
        if b.kind is None or b.kind == "template":
            assert b.lang in RUNNABLE, (f"{b.where}: a ```{b.lang} block is not run; mark "
                                        "it <!-- readme-test: skip: WHY -->")
    for b, line, cmd in SHELL:
        assert cmd.startswith("recipec "), (f"README.md:{line}: only `recipec` commands run "
                                            f"here; mark the block with a reason: {cmd}")
    kinds = {(b.lang, b.kind) for b in BLOCKS}
    assert {("bash", None), ("python", None), ("recipe", None), ("bash", "template"),
            ("text", "diagnostic")} <= kinds, kinds


@pytest.mark.frontend
def test_a_new_unmarked_block_would_fail():
    text = "intro\n\n```\nsomething\n```\n\n<!-- readme-test: skip: because -->\n```sh\nx\n```\n"
    [plain, marked] = blocks(text)
    assert (plain.lang, plain.kind, plain.line) == ("", None, 3)
    assert (marked.lang, marked.kind, marked.reason) == ("sh", "skip", "because")
    assert plain.lang not in RUNNABLE          # so the test above would refuse it


@pytest.mark.frontend
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "recipe"],
                         ids=lambda b: b.where)
def test_recipe_block_checks(tmp_path, block):
    path = tmp_path / "tour.recipe"
    path.write_text(block.text)
    accepted(cli("check", path))


def _recipe_above(block):
    return [b for b in BLOCKS if b.lang == "recipe" and b.line < block.line][-1]


@pytest.mark.frontend
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "diagnostic"],
                         ids=lambda b: b.where)
def test_diagnostic_block_is_what_check_prints(tmp_path, block):
    first = re.match(r"(?P<file>\S+):(?P<line>\d+):\d+: error", block.text)
    shown = re.search(r"^ *(?P<line>\d+) \| (?P<text>.*)$", block.text, re.M)
    assert first and shown and first["line"] == shown["line"], block.text
    lines = _recipe_above(block).text.splitlines()
    lines[int(shown["line"]) - 1] = shown["text"]
    (tmp_path / first["file"]).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / first["file"]).write_text("\n".join(lines) + "\n")
    out = cli("check", first["file"], cwd=tmp_path)
    assert out.code == 2 and not out.trained, out.text
    assert out.err.startswith(block.text.rstrip("\n")), out.err


def _idx(path, magic: int, shape: tuple[int, ...], data: bytes) -> None:
    path.write_bytes(struct.pack(">I", magic) + struct.pack(f">{len(shape)}I", *shape) + data)


def _mnist_stand_in(folder):
    """Four valid IDX files of two images each, named as the mnist() source expects."""
    from recipec.runtime.data.idx import MNIST_FILES

    folder.mkdir()
    for key, name in MNIST_FILES.items():
        if key.endswith("images"):
            _idx(folder / name, 2051, (2, 28, 28), bytes(2 * 28 * 28))
        else:
            _idx(folder / name, 2049, (2,), bytes([3, 7]))
    return folder


@pytest.mark.frontend
@pytest.mark.parametrize("block, line, cmd", [s for s in SHELL if s[0].kind == "template"],
                         ids=[_id(*s) for s in SHELL if s[0].kind == "template"])
def test_template_command_checks_with_a_stand_in(tmp_path, block, line, cmd):
    stand_for = block.reason.split()[0]
    assert stand_for in cmd, f"README.md:{line}: the marker's `{stand_for}` is not in {cmd}"
    folder = _mnist_stand_in(tmp_path / "mnist")
    argv = shlex.split(cmd.replace(stand_for, str(folder)), comments=True)[1:]
    assert argv[0] == "run", cmd
    out = cli("check", *argv[1:], cwd=ROOT)
    accepted(out)
    assert str(folder) in out.out           # the --set reached the recipe's source


@pytest.mark.parametrize("block, line, cmd", [s for s in SHELL if s[0].kind is None],
                         ids=[_id(*s) for s in SHELL if s[0].kind is None])
def test_shell_command_runs_as_written(block, line, cmd):
    argv = shlex.split(cmd, comments=True)
    report = argv[argv.index("--report") + 1] if "--report" in argv else None
    existed = report is not None and (ROOT / report).exists()
    try:
        out = cli(*argv[1:], cwd=ROOT)
        accepted(out)
        if report is not None:
            assert (ROOT / report).is_file(), f"README.md:{line}: no {report} written"
    finally:                                 # leave the checkout as it was
        if report is not None and not existed:
            (ROOT / report).unlink(missing_ok=True)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "python" and b.kind is None],
                         ids=lambda b: b.where)
def test_python_block_runs_as_written(monkeypatch, block):
    monkeypatch.chdir(ROOT)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block.text, block.where, "exec"), {"__name__": "__readme__"})
    assert printed.getvalue().strip(), "the README's Python example printed nothing"
