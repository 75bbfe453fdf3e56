"""Source spans and diagnostics: every problem a user can cause is one of these.

A `Diagnostic` always carries a `Span`, so it can be printed as
`file:line:col: error[CODE]: message` followed by the source line and a caret underline.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A region of a source file; lines and columns are 1-based, `end_col` is exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    @staticmethod
    def unknown(file: str = "<recipe>") -> "Span":
        return Span(file, 1, 1, 1, 1)


@dataclass(frozen=True)
class Diagnostic:
    span: Span
    code: str
    message: str
    hint: str | None = None
    severity: str = "error"


class RecipeError(Exception):
    """Raised with one or more diagnostics; the CLI prints them and exits with code 2."""

    def __init__(self, diagnostics: list[Diagnostic], source: str | None = None):
        self.diagnostics = list(diagnostics)
        self.source = source
        super().__init__("\n".join(f"{d.span.file}:{d.span.line}:{d.span.col}: {d.severity}[{d.code}]: {d.message}"
                                   for d in self.diagnostics))


# ---- rendering -----------------------------------------------------------------------------

_TAB = 4
_COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "gutter": "\033[1;34m",
           "bold": "\033[1m", "reset": "\033[0m"}


def render(diag: Diagnostic, source: str | None, color: bool = False) -> str:
    """`file:line:col: error[CODE]: message`, then the source line with a caret underline.

    Never fails on odd spans: lines past the end of the source drop the snippet, columns past
    the end of the line put one caret after it, and tabs are expanded consistently."""
    def c(key: str, text: str) -> str:
        return f"{_COLORS.get(key, _COLORS['bold'])}{text}{_COLORS['reset']}" if color else text

    s = diag.span
    lines = [f"{s.file}:{s.line}:{s.col}: {c(diag.severity, f'{diag.severity}[{diag.code}]')}: "
             f"{c('bold', diag.message)}"]
    width = max(5, len(str(s.line)))
    pad = " " * (width + 1)
    # Split on "\n" only, as the parser counts lines (str.splitlines also splits on \f, \x1c...).
    src_lines = source.split("\n") if source is not None else []
    # `--set` overrides have spans in their own text, not in `source`: no snippet for them.
    if s.file != "<--set>" and 1 <= s.line <= len(src_lines):
        text = src_lines[s.line - 1].rstrip("\r")
        start = len(text[:max(s.col - 1, 0)].expandtabs(_TAB))
        end_col = s.end_col if s.end_line == s.line else len(text) + 1
        end = len(text[:max(end_col - 1, 0)].expandtabs(_TAB))
        lines.append(f"{c('gutter', f'{s.line:>{width}} |')} {text.expandtabs(_TAB)}".rstrip())
        lines.append(f"{c('gutter', pad + '|')} {' ' * start}{c(diag.severity, '^' * max(end - start, 1))}")
    if diag.hint:
        lines.append(f"{c('gutter', pad + '=')} help: {diag.hint}")
    return "\n".join(lines)


def render_all(err: RecipeError, color: bool = False) -> str:
    """Every diagnostic of `err`, rendered against `err.source`, plus a count when several."""
    parts = [render(d, err.source, color) for d in err.diagnostics]
    n = len(err.diagnostics)
    if n > 1:
        parts.append(f"{n} errors found")
    return "\n\n".join(parts) if n > 1 else "\n".join(parts)
