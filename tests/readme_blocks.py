"""README.md's fenced code blocks and tables, read for tests/test_readme*.py.

A block is run by the tests unless the line right above its opening fence is a marker

    <!-- readme-test: KIND: REASON -->

with KIND one of
    skip        not run, for the reason given (installs packages, a diagram, ...)
    template    a command with a stand-in for the user's own path; REASON starts with it
    diagnostic  the output of `recipec check` on the recipe block above it with one line
                changed: the line the diagnostic shows
so that a new block is run, or says why not, and the README cannot quietly rot.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
KINDS = ("skip", "template", "diagnostic")
MARKER = re.compile(r"^<!-- readme-test: (?P<kind>\w+): (?P<reason>.*\S) -->$")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")


@dataclass(frozen=True)
class Block:
    lang: str               # as written after the fence: bash, python, recipe, text or ""
    text: str
    line: int               # 1-based line of the opening fence in README.md
    kind: str | None        # the marker's kind, None when unmarked
    reason: str = ""

    @property
    def where(self) -> str:
        return f"README.md:{self.line}"


def blocks(text: str | None = None) -> list[Block]:
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    found, i = [], 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```"), None)
        assert end is not None, f"README.md:{i + 1}: unclosed code block"
        marker = MARKER.match(lines[i - 1].strip()) if i > 0 else None
        found.append(Block(fence["lang"], "\n".join(lines[i + 1:end]) + "\n", i + 1,
                           marker["kind"] if marker else None,
                           marker["reason"] if marker else ""))
        i = end + 1
    return found


def commands(block: Block) -> list[tuple[int, str]]:
    """(README line, command) for each non-blank, non-comment line of a shell block."""
    return [(block.line + n, line.strip()) for n, line in enumerate(block.text.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#")]


def table_rows(text: str | None = None) -> dict[str, str]:
    """The language table (`| part | what a recipe can say |`): part -> its cell's text."""
    text = README.read_text(encoding="utf-8") if text is None else text
    rows, inside = {}, False
    for line in text.splitlines():
        if line.startswith("| part | what a recipe can say |"):
            inside = True
        elif inside and line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if cells and not set(cells[0]) <= {"-"}:
                rows[cells[0]] = cells[1].replace("\\|", "|")
        elif inside:
            break
    return rows


def signatures(cell: str) -> dict[str, list[str]]:
    """`dense(units, bias)` / `relu` / `residual { ... }` in a table cell -> {name: option
    names written in its parentheses}; `...` and `name = value` items are not signatures."""
    found = {}
    for code in re.findall(r"`([^`]+)`", cell):
        m = re.fullmatch(r"([a-z_][a-z0-9_]*)\s*(?:\((.*)\))?\s*(?:\{.*\})?", code.strip())
        if m is None:
            continue
        args = [a.split("=")[0].strip() for a in (m[2] or "").split(",")]
        found[m[1]] = [a for a in args if a and a != "..."]
    return found


def source_map_paths(block: Block) -> list[str]:
    """The files and folders named at the start of each line of the source-tree block, as
    paths from the repository root (nesting by indentation; a description stops a line)."""
    paths, stack = [], []            # stack: (indent, folder path)
    for line in block.text.splitlines():
        indent = len(line) - len(line.lstrip())
        names = []
        for token in line.split():
            if not re.fullmatch(r"[\w.]+(/|\.py)", token):
                break
            names.append(token)
        if not names:
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else ""
        for name in names:
            paths.append(parent + name)
        if len(names) == 1 and names[0].endswith("/"):
            stack.append((indent, parent + names[0]))
    return paths
