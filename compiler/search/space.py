"""Search spaces written in place of a value: `uniform(a, b)`, `loguniform(a, b)`,
`int(a, b, step = 1)` and `choice(v1, v2, ...)`.

A space is a list of `Dimension`s, each the call's span in the recipe text plus what it may
take. A trial is the recipe text with every dimension's call replaced by one value's text
(`substitute`): it is then an ordinary recipe, parsed and checked as any other, and the best
trial's text is the plain `.recipe` file `recipec search` writes. Replacing text rather than
checked values keeps one checker for both and makes "the recipe of trial 7" a real file.

`uniform` with no arguments stays the initialiser of that name (`init = uniform`); with
arguments it is a range.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..diagnostics import Span
from ..syntax import ast

SEARCH_CALLS = ("uniform", "loguniform", "int", "choice")


def is_search_call(v) -> bool:
    return isinstance(v, ast.Call) and v.name in SEARCH_CALLS and bool(v.args)


@dataclass(frozen=True)
class Dimension:
    name: str                     # the `--set` path of the value: "optimizer.lr"
    kind: str                     # "uniform" | "loguniform" | "int" | "choice"
    span: Span                    # the whole call in the recipe text
    low: float | int | None = None
    high: float | int | None = None
    step: int | None = None       # int(...)'s step
    choices: tuple[str, ...] = ()  # choice(...): each value's source text, as written
    shown: tuple[str, ...] = ()   # choice(...): each value as a short label (for tables)

    @property
    def finite(self) -> bool:
        """A grid can enumerate it."""
        return self.kind in ("choice", "int")

    def grid(self) -> list[str]:
        """Every value's text, in order (finite dimensions only)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "int":
            return [str(v) for v in range(self.low, self.high + 1, self.step)]
        raise ValueError(f"{self.name}: a {self.kind} range has no grid")

    def text_of(self, value) -> str:
        """A sampled value as recipe text: a choice by its index, a number as itself (the
        shortest text that reads back as the same float)."""
        if self.kind == "choice":
            return self.choices[int(value)]
        if self.kind == "int":
            return str(int(value))
        return repr(float(value))

    def first_text(self) -> str:
        """The value the checked recipe holds: the first choice, the low end."""
        return self.grid()[0] if self.finite else self.text_of(self.low)

    def describe(self) -> str:
        if self.kind == "choice":
            return f"choice({', '.join(self.shown or self.choices)})"
        if self.kind == "int":
            step = f", step = {self.step}" if self.step != 1 else ""
            return f"int({self.low}, {self.high}{step})"
        return f"{self.kind}({self.low:g}, {self.high:g})"

    def size(self) -> float:
        return len(self.grid()) if self.finite else math.inf


def offsets(text: str, span: Span) -> tuple[int, int]:
    """The span's [start, end) as character offsets into `text`."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return (starts[span.line - 1] + span.col - 1, starts[span.end_line - 1] + span.end_col - 1)


def source_of(text: str, span: Span) -> str:
    a, b = offsets(text, span)
    return text[a:b]


def substitute(text: str, values: dict[Dimension, str], pad: bool = False,
               cut: tuple[Span, ...] = ()) -> str:
    """`text` with each dimension's call replaced by its value's text, and the spans in `cut`
    removed (with the rest of their line when only blanks follow). `pad`: keep every other
    character where it was (the value padded with spaces, newlines kept), so that a
    diagnostic of the substituted text points at the same line and column of the original;
    a value longer than its call is written as it is."""
    edits = []
    for dim, value in values.items():
        a, b = offsets(text, dim.span)
        if pad and "\n" not in value:
            old = text[a:b]
            first_line = old.find("\n") if "\n" in old else len(old)
            if len(value) <= first_line:
                blank = "".join(c if c == "\n" else " " for c in old)
                value = value + blank[len(value):]
        edits.append((a, b, value))
    for span in cut:
        a, b = offsets(text, span)
        while b < len(text) and text[b] in " \t":
            b += 1
        if b < len(text) and text[b] == "\n":
            b += 1
        edits.append((a, b, ""))
    out = text
    for a, b, value in sorted(edits, reverse=True):     # from the end: offsets stay valid
        out = out[:a] + value + out[b:]
    return out
