"""Source spans and diagnostics: every problem a user can cause is one of these.

A `Diagnostic` always carries a `Span`, so it can be printed as
`file:line:col: error[CODE]: message` followed by the source line and a caret underline.
"""
from __future__ import annotations

import unicodedata
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
        super().__init__("\n".join(f"{printable(d.span.file)}:{d.span.line}:{d.span.col}: "
                                   f"{d.severity}[{d.code}]: {printable(d.message)}"
                                   for d in self.diagnostics))


# ---- terminal safety -----------------------------------------------------------------------

def printable(text: str, keep: str = "") -> str:
    """`text` with every character a terminal could act on, or that would not show, written
    as a Python-style escape (`\\x1b`, `\\u202e`): ESC, BEL, CR, NUL, DEL, the C1 controls,
    bidi overrides, unassigned code points. A recipe, a file name or a `--set` is echoed in
    diagnostics, and an escape sequence in it must not recolour, retitle or rewrite the user's
    terminal. Characters in `keep` (the renderer keeps tabs to expand them) pass unchanged."""
    if text.isprintable() and not keep:
        return text
    return "".join(ch if ch.isprintable() or ch in keep else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _width(text: str) -> int:
    """Terminal columns `text` takes: wide (CJK, emoji) characters two, combining marks none,
    so a caret lands under the character it points at."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


# ---- rendering -----------------------------------------------------------------------------

_TAB = 4
_COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "gutter": "\033[1;34m",
           "bold": "\033[1m", "reset": "\033[0m"}


def _shown(text: str) -> str:
    """A source line as printed: control characters escaped, then tabs expanded."""
    return printable(text, keep="\t").expandtabs(_TAB)


def render(diag: Diagnostic, source: str | None, color: bool = False) -> str:
    """`file:line:col: error[CODE]: message`, then the source line with a caret underline.

    Never fails on odd spans: lines past the end of the source drop the snippet, columns past
    the end of the line put one caret after it, and tabs are expanded consistently."""
    def c(key: str, text: str) -> str:
        return f"{_COLORS.get(key, _COLORS['bold'])}{text}{_COLORS['reset']}" if color else text

    s = diag.span
    lines = [f"{printable(s.file)}:{s.line}:{s.col}: "
             f"{c(diag.severity, f'{diag.severity}[{diag.code}]')}: "
             f"{c('bold', printable(diag.message))}"]
    width = max(5, len(str(s.line)))
    pad = " " * (width + 1)
    # Split on "\n" only, as the parser counts lines (str.splitlines also splits on \f, \x1c...).
    src_lines = source.split("\n") if source is not None else []
    # `--set` overrides have spans in their own text, not in `source`: no snippet for them.
    if s.file != "<--set>" and 1 <= s.line <= len(src_lines):
        text = src_lines[s.line - 1]
        text = text[:-1] if text.endswith("\r") else text      # a CRLF file's line end
        # Columns are counted on the line as shown (escaped, tabs expanded); both are
        # prefix-preserving, so the shown prefix before the span is a prefix of the shown line.
        start = _width(_shown(text[:max(s.col - 1, 0)]))
        end_col = s.end_col if s.end_line == s.line else len(text) + 1
        end = _width(_shown(text[:max(end_col - 1, 0)]))
        lines.append(f"{c('gutter', f'{s.line:>{width}} |')} {_shown(text)}".rstrip())
        lines.append(f"{c('gutter', pad + '|')} {' ' * start}{c(diag.severity, '^' * max(end - start, 1))}")
    if diag.hint:
        lines.append(f"{c('gutter', pad + '=')} help: {printable(diag.hint)}")
    return "\n".join(lines)


def render_all(err: RecipeError, color: bool = False) -> str:
    """Every diagnostic of `err`, rendered against `err.source`, plus a count when several."""
    parts = [render(d, err.source, color) for d in err.diagnostics]
    n = len(err.diagnostics)
    if n > 1:
        parts.append(f"{n} errors found")
    return "\n\n".join(parts) if n > 1 else "\n".join(parts)
