"""Checking a search-space call where a value is expected (compiler/check/values.py calls in).

A `choice(...)` checks every value as the option it stands for (each error at that value);
a range checks its form (two numbers, low < high, loguniform above 0, int's step reaching the
high end) and both ends against the option's limits. The dimension is recorded in the
checker's context under the value's `--set` path, and the check goes on with the first
choice or the low end, so that the rest of the recipe is checked too. Every structural
combination is checked afterwards on substituted texts (compiler/search/combinations.py).
"""
from __future__ import annotations

from dataclasses import replace

from ..syntax import ast
from .space import Dimension, source_of

RANGE_KINDS = ("float", "float_or_call")          # what uniform / loguniform may stand for
INT_KINDS = ("int", "int_or_enum", "float", "float_or_call")


def check_dimension(ctx, v: ast.Call, label: str, item_check, opt=None):
    """The checked value of the first choice (or the low end), or MISSING; `item_check(v)`
    checks one candidate value as the option would."""
    from ..check.values import MISSING

    if v.span.file != ctx.file:
        ctx.error(v.span, "E201", f"{label}: a search space is written in the recipe, not in "
                  f"a --set override", "put the call in the recipe file")
        return MISSING
    if ctx.in_choice:
        ctx.error(v.name_span, "E201", f"{label}: a search space inside a choice is not "
                  f"supported", "search the two independently, or list the combinations")
        return MISSING
    name = ".".join(ctx.path) or f"{label}@{v.span.line}:{v.span.col}"
    if v.name == "choice":
        return _choice(ctx, v, name, label, item_check)
    return _range(ctx, v, name, label, opt)


def _choice(ctx, v: ast.Call, name: str, label: str, item_check):
    from ..check.values import MISSING

    named = [a for a in v.args if a.name is not None]
    if named:
        ctx.error(named[0].name_span or named[0].span, "E203",
                  f"{label}: choice takes its values by position, not by name",
                  "write `choice(64, 128, 256)`")
        return MISSING
    if len(v.args) < 2:
        ctx.error(v.span, "E202", f"{label}: choice needs at least two values, got "
                  f"{len(v.args)}", "write the one value itself")
        return MISSING
    texts = [source_of(ctx.text, a.value.span) for a in v.args]
    for i, text in enumerate(texts):
        if text in texts[:i]:
            ctx.error(v.args[i].span, "E105", f"{label}: choice lists `{text}` twice")
            return MISSING
    ctx.in_choice = True
    try:
        values = [item_check(a.value) for a in v.args]
    finally:
        ctx.in_choice = False
    if any(value is MISSING for value in values):
        return MISSING
    shown = tuple(" ".join(t.split()) for t in texts)
    ctx.space.append(Dimension(name, "choice", v.span, choices=tuple(texts), shown=shown))
    return values[0]


def _range(ctx, v: ast.Call, name: str, label: str, opt):
    from ..check.values import MISSING, _number

    kind = v.name
    integer = kind == "int"
    allowed = INT_KINDS if integer else RANGE_KINDS
    if opt is None or opt.kind not in allowed:
        takes = "an integer" if opt is not None and opt.kind == "int" else "a name or a call"
        h = (f"write `int(...)` for an integer range" if opt is not None and opt.kind == "int"
             else "list the candidates with `choice(...)`")
        ctx.error(v.span, "E201", f"{label}: {kind}(...) gives numbers, but this takes "
                  f"{takes}", h)
        return MISSING
    args = {a.name: a for a in v.args if a.name is not None}
    positional = [a for a in v.args if a.name is None]
    names = ("low", "high", "step") if integer else ("low", "high")
    unknown = [a for a in args if a not in names]
    if unknown or len(positional) > len(names):
        ctx.error(v.span, "E203", f"{label}: {kind} takes {', '.join(names)}",
                  f"write `{kind}({', '.join(names[:2])}{', step = 1' if integer else ''})`")
        return MISSING
    given = dict(zip(names, positional))
    given.update(args)
    if "low" not in given or "high" not in given:
        ctx.error(v.span, "E106", f"{label}: {kind} needs a low and a high end",
                  f"write `{kind}(low, high)`")
        return MISSING
    low_text = given["low"].value
    if kind == "loguniform" and isinstance(low_text, ast.Number) and low_text.value <= 0:
        ctx.error(low_text.span, "E202", f"{label}: loguniform's low end must be > 0, got "
                  f"{low_text.value}", "a log scale never reaches 0: e.g. `loguniform(1e-5, "
                  "1e-1)`")
        return MISSING
    end_opt = replace(opt, kind="int" if integer else "float")
    low = _number(ctx, given["low"].value, end_opt, label)
    high = _number(ctx, given["high"].value, end_opt, label)
    step = 1
    if integer and "step" in given:
        step = _number(ctx, given["step"].value, replace(opt, kind="int", min=1, max=None,
                                                          min_inclusive=True),
                       f"{label}: int's step")
    if MISSING in (low, high, step):
        return MISSING
    if not low < high:
        ctx.error(v.span, "E202", f"{label}: {kind}'s low end {low} is not below its high end "
                  f"{high}", "write the smaller number first")
        return MISSING
    if integer and (high - low) % step:
        top = high - (high - low) % step
        ctx.error(given["high"].value.span, "E202", f"{label}: int({low}, {high}, step = "
                  f"{step}) never reaches {high}", f"write `int({low}, {top}, step = {step})`")
        return MISSING
    ctx.space.append(Dimension(name, kind, v.span, low, high, step if integer else None))
    return low
