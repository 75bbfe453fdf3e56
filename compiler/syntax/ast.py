"""Frozen syntax tree of a .recipe file, exactly as written (no name or type checks yet).

Every node carries the `Span` of its source text so the checker can point at it. Sections,
blocks and layers share one node, `Stmt`, because the grammar cannot tell them apart:
`data { ... }`, `dense(128) relu` and `input [64]` are all `NAME args? list? block?`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..diagnostics import Span, printable


@dataclass(frozen=True)
class Number:
    value: int | float            # int if written without `.`/exponent (`30`), else float
    span: Span


@dataclass(frozen=True)
class Quantity:
    """A number with a unit: `10 epochs`, `1 step` (durations), `2 GB`, `512 MiB` (sizes)."""

    number: Number
    unit: str                     # as written: "epoch(s)", "step(s)", or KB MB GB TB KiB .. TiB

    @property
    def is_size(self) -> bool:
        return self.unit.endswith("B")
    span: Span


@dataclass(frozen=True)
class Str:
    value: str                    # unquoted, escapes resolved
    span: Span


@dataclass(frozen=True)
class Name:
    value: str                    # a bare word: `standard`, `true`, `cross_entropy`
    span: Span


@dataclass(frozen=True)
class Arg:
    """One argument of a call: positional when `name` is None."""

    name: str | None
    value: "Value"
    span: Span
    name_span: Span | None = None


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Arg, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True)
class List:
    items: tuple["Value", ...]
    span: Span


Value = Union[Number, Quantity, Str, Name, Call, List]


@dataclass(frozen=True)
class Assign:
    key: str
    value: Value
    span: Span
    key_span: Span


@dataclass(frozen=True)
class Stmt:
    """`NAME (args)? [list]? { body }?`: a section, a layer or a block layer."""

    name: str
    args: tuple[Arg, ...] | None  # None: no parentheses written
    shape: List | None
    body: tuple["Statement", ...] | None  # None: no `{ }` written
    span: Span
    name_span: Span
    body_span: Span | None = None  # the `{ ... }` itself, braces included: where an empty
                                   # block is reported


Statement = Union[Assign, Stmt]


@dataclass(frozen=True)
class File:
    name: str | None              # from the `recipe NAME` header
    body: tuple[Statement, ...]
    span: Span
    name_span: Span | None = None


def describe(value: Value) -> str:
    """Plain words for a value in messages: "a name `abc`", "a number `2.5`"."""
    if isinstance(value, Number):
        return f"a number `{value.value}`"
    if isinstance(value, Quantity):
        what = "a size" if value.is_size else "a duration"
        return f"{what} `{value.number.value} {value.unit}`"
    if isinstance(value, Str):
        return f'a string "{printable(value.value)}"'
    if isinstance(value, Name):
        return f"a name `{value.value}`"
    if isinstance(value, Call):
        return f"a call `{value.name}(...)`"
    return "a list"
