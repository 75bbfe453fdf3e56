"""Checking values and calls against `Opt` schemas; shared by every part of the checker.

Problems are collected in a `Ctx` instead of raised, so one run reports all of them.
A value that is malformed comes back as `MISSING`; one that is only out of range is
reported but still returned, so later checks (shapes) can go on with it.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from ..diagnostics import Diagnostic, Span
from ..options import SIZE_UNITS, Choice, Duration, Opt
from ..recipe import Call
from ..search.check import check_dimension
from ..search.space import is_search_call
from ..suggest import hint
from ..syntax import ast

MISSING = object()

# Every integer of a recipe ends up in an int64 somewhere (shapes, the step counter, the seed),
# so a larger one is refused here rather than overflowing later.
INT_LIMIT = 2 ** 63


class Ctx:
    def __init__(self, filename: str, text: str = ""):
        self.file = filename
        self.text = text
        self.diagnostics: list[Diagnostic] = []
        # search spaces (compiler/search/): the dimensions found, and the `--set` path of the
        # value being checked, which names them ("optimizer.lr", "model.dense_1.units")
        self.space: list = []
        self.path: list[str] = []
        self.in_choice = False
        self.point = False          # a trial's text: a search section with nothing to search
        self.stored = False         # a saved model's recipe: its training is done, so what
                                    # only training reads (a distillation teacher) is not looked for

    @contextmanager
    def at(self, *parts: str):
        """Check what follows as the value at `path + parts`."""
        self.path.extend(parts)
        try:
            yield
        finally:
            del self.path[len(self.path) - len(parts):]

    def error(self, span: Span, code: str, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(span, code, message, hint))


def _fmt(x: float) -> str:
    return f"{x:g}"


def _range_text(opt: Opt) -> str:
    if opt.min is not None and opt.max is not None:
        lo, hi = "[" if opt.min_inclusive else "(", "]" if opt.max_inclusive else ")"
        return f"in {lo}{_fmt(opt.min)}, {_fmt(opt.max)}{hi}"
    if opt.min is not None:
        return f"{'>=' if opt.min_inclusive else '>'} {_fmt(opt.min)}"
    return f"{'<=' if opt.max_inclusive else '<'} {_fmt(opt.max)}"


def _in_range(v: float, opt: Opt) -> bool:
    if opt.min is not None and (v < opt.min or (v == opt.min and not opt.min_inclusive)):
        return False
    if opt.max is not None and (v > opt.max or (v == opt.max and not opt.max_inclusive)):
        return False
    return True


def _number(ctx: Ctx, v: ast.Value, opt: Opt, label: str) -> Any:
    want = "an integer" if opt.kind == "int" else "a number"
    if not isinstance(v, ast.Number):
        h = "remove the unit" if isinstance(v, ast.Quantity) else None
        ctx.error(v.span, "E201", f"{label}: expected {want}, got {ast.describe(v)}", h)
        return MISSING
    x = v.value
    if opt.kind == "int" and not isinstance(x, int):
        ctx.error(v.span, "E201", f"{label}: expected an integer, got {ast.describe(v)}")
        return MISSING
    if opt.kind == "int" and abs(x) >= INT_LIMIT:
        ctx.error(v.span, "E202", f"{label} is too large: {x} does not fit in 64 bits "
                  f"(at most {INT_LIMIT - 1:,})")
        return MISSING
    if not math.isfinite(x):
        ctx.error(v.span, "E202", f"{label} must be a finite number, got {x}")
        return MISSING
    x = x if opt.kind == "int" else float(x)
    if not _in_range(x, opt):
        ctx.error(v.span, "E202", f"{label} must be {_range_text(opt)}, got {v.value}")
    return x


def check_value(ctx: Ctx, v: ast.Value, opt: Opt, label: str,
                table: dict[str, Choice] | None = None) -> Any:
    """Convert one AST value to the python value `opt` describes, or report and return MISSING."""
    if is_search_call(v):           # uniform(a, b), choice(...): a dimension of the search
        return check_dimension(ctx, v, label, lambda item: check_value(ctx, item, opt, label,
                                                                       table), opt)
    kind = opt.kind
    if kind in ("int", "float"):
        return _number(ctx, v, opt, label)
    if kind == "bool":
        if isinstance(v, ast.Name) and v.value in ("true", "false"):
            return v.value == "true"
        ctx.error(v.span, "E201", f"{label}: expected `true` or `false`, got {ast.describe(v)}")
    elif kind == "str":
        if isinstance(v, ast.Str):
            return v.value
        h = f'quote it: "{v.value}"' if isinstance(v, ast.Name) else None
        ctx.error(v.span, "E201", f"{label}: expected a string, got {ast.describe(v)}", h)
    elif kind == "enum":
        if isinstance(v, ast.Name):
            if v.value in opt.choices:
                return v.value
            ctx.error(v.span, "E104", f"unknown {label} `{v.value}`", hint(v.value, opt.choices))
        else:
            ctx.error(v.span, "E201", f"{label}: expected one of {', '.join(opt.choices)}, "
                      f"got {ast.describe(v)}")
    elif kind == "int_or_enum":
        if isinstance(v, ast.Number):
            return _number(ctx, v, replace(opt, kind="int"), label)
        if isinstance(v, ast.Name):
            if v.value in opt.choices:
                return v.value
            ctx.error(v.span, "E104", f"unknown {label} `{v.value}`", hint(v.value, opt.choices))
        else:
            ctx.error(v.span, "E201", f"{label}: expected an integer or one of "
                      f"{', '.join(opt.choices)}, got {ast.describe(v)}")
    elif kind == "samples":
        n = v.number if isinstance(v, ast.Quantity) and v.unit.startswith("sample") else v
        if isinstance(v, ast.Quantity) and not v.unit.startswith("sample"):
            ctx.error(v.span, "E201", f"{label}: expected a count of rows like `512 samples`, "
                      f"got {ast.describe(v)}")
            return MISSING
        return _number(ctx, n, replace(opt, kind="int"), label)
    elif kind == "duration":
        if isinstance(v, ast.Quantity) and (v.is_size or v.unit.startswith("sample")):
            ctx.error(v.span, "E201",
                      f"{label}: expected a duration like `10 epochs` or `500 steps`, got "
                      f"{ast.describe(v)}")
            return MISSING
        if isinstance(v, ast.Quantity):
            n = v.number.value
            if not isinstance(n, int):
                ctx.error(v.number.span, "E201", f"{label}: expected a whole number of "
                          f"{v.unit}, got {n}")
                return MISSING
            if n < 1:
                ctx.error(v.number.span, "E202", f"{label} must be >= 1 {v.unit}, got {n}")
            elif n >= INT_LIMIT:
                ctx.error(v.number.span, "E202", f"{label} is too large: {n} {v.unit} does not "
                          "fit in 64 bits")
                return MISSING
            return Duration(n, "epochs" if v.unit.startswith("epoch") else "steps")
        h = f"add a unit: `{v.value} epochs` or `{v.value} steps`" \
            if isinstance(v, ast.Number) else None
        ctx.error(v.span, "E201", f"{label}: expected a duration like `10 epochs` or "
                  f"`500 steps`, got {ast.describe(v)}", h)
    elif kind == "size":
        return _size(ctx, v, opt, label)
    elif kind == "float_or_call":
        if isinstance(v, ast.Number):
            return _number(ctx, v, replace(opt, kind="float"), label)
        call = check_choice(ctx, v, table or {}, label)
        return MISSING if call is None else call
    elif kind == "floats_or_enum":
        if isinstance(v, ast.Name):
            if v.value in opt.choices:
                return v.value
            ctx.error(v.span, "E104", f"unknown {label} `{v.value}`", hint(v.value, opt.choices))
            return MISSING
        if not isinstance(v, ast.List) or not v.items:
            ctx.error(v.span, "E201", f"{label}: expected a list of numbers like `[1, 2.5]` or "
                      f"one of {', '.join(opt.choices)}, got {ast.describe(v)}")
            return MISSING
        items = [_number(ctx, item, replace(opt, kind="float"), label) for item in v.items]
        return MISSING if any(i is MISSING for i in items) else tuple(items)
    elif kind == "name":
        if isinstance(v, ast.Name):
            return v.value
        h = f"write it without quotes: `{v.value}`" if isinstance(v, ast.Str) else None
        ctx.error(v.span, "E201", f"{label}: expected a name such as `val_loss`, got "
                  f"{ast.describe(v)}", h)
    elif kind == "name_list":
        if not isinstance(v, ast.List) or not v.items:
            ctx.error(v.span, "E201", f"{label}: expected a list of names like "
                      f"`[dense_1, dense_2]`, got {ast.describe(v)}")
            return MISSING
        bad = [item for item in v.items if not isinstance(item, ast.Name)]
        for item in bad:
            h = f"write it without quotes: `{item.value}`" if isinstance(item, ast.Str) else None
            ctx.error(item.span, "E201", f"{label}: expected a name such as `dense_1`, got "
                      f"{ast.describe(item)}", h)
        return MISSING if bad else tuple(item.value for item in v.items)
    elif kind == "duration_list":
        if not isinstance(v, ast.List) or not v.items:
            ctx.error(v.span, "E201", f"{label}: expected a list of durations like "
                      f"`[30 epochs, 60 epochs]`, got {ast.describe(v)}")
            return MISSING
        items = [check_value(ctx, item, replace(opt, kind="duration"), label)
                 for item in v.items]
        return MISSING if any(i is MISSING for i in items) else tuple(items)
    elif kind == "shape":
        return check_shape(ctx, v, label, "E201", opt)
    elif kind == "call":
        call = check_choice(ctx, v, table or {}, label)
        return MISSING if call is None else call
    elif kind == "str_or_call":
        if isinstance(v, ast.Str):
            return Call("recipe", {"path": v.value}, v.span)
        call = check_choice(ctx, v, table or {}, label)
        return MISSING if call is None else call
    elif kind == "call_list":
        return check_call_list(ctx, v, table or {}, label)
    return MISSING


def check_call_list(ctx: Ctx, v: ast.Value, table: dict[str, Choice], label: str) -> Any:
    """`[shift(2), flip]` (or one call without brackets) -> a tuple of checked `Call`s."""
    items = v.items if isinstance(v, ast.List) else (v,)
    calls, ok = [], True
    for item in items:
        call = check_choice(ctx, item, table, label)
        ok = ok and call is not None
        calls.append(call)
    return tuple(calls) if ok else MISSING


def check_shape(ctx: Ctx, v: ast.Value | None, label: str, code: str,
                opt: Opt | None = None) -> Any:
    """A list of positive ints, e.g. `[1, 28, 28]`; with an `opt`, as many as its `dims`
    and each within its `min`/`max` (`images(size = [H, W])`)."""
    if not isinstance(v, ast.List) or not v.items:
        span = v.span if v is not None else Span.unknown(ctx.file)
        ctx.error(span, code, f"{label}: expected a shape such as `[64]` or `[1, 28, 28]`")
        return MISSING
    dims = []
    for item in v.items:
        if not (isinstance(item, ast.Number) and isinstance(item.value, int) and item.value > 0):
            ctx.error(item.span, code, f"{label}: dimensions must be positive integers, "
                      f"got {ast.describe(item)}")
            return MISSING
        if item.value >= INT_LIMIT:
            ctx.error(item.span, code, f"{label}: dimension {item.value} does not fit in 64 bits")
            return MISSING
        if opt is not None and not _in_range(item.value, opt):
            ctx.error(item.span, "E202", f"{label}: dimensions must be {_range_text(opt)}, "
                      f"got {item.value}")
            return MISSING
        dims.append(item.value)
    if opt is not None and opt.dims is not None and len(dims) != opt.dims:
        ctx.error(v.span, code, f"{label}: expected {opt.dims} dimensions, got {len(dims)}")
        return MISSING
    return tuple(dims)


def check_args(ctx: Ctx, args: tuple[ast.Arg, ...], opts: tuple[Opt, ...], owner: str,
               span: Span, qualify: bool) -> tuple[dict[str, Any], bool]:
    """Map positional/named args onto `opts`, check each, fill defaults.

    Returns (options, complete); complete is False if a value is unusable or missing.
    `qualify` prefixes messages with the owner ("dropout rate must be ...")."""
    positional = [o for o in opts if o.positional]
    by_name = {o.name: o for o in opts}
    given: dict[str, tuple[ast.Arg, Any]] = {}
    complete, seen_named, n_pos = True, False, 0
    for arg in args:
        if arg.name is None:
            if seen_named:
                ctx.error(arg.span, "E203", f"positional argument after a named one in {owner}",
                          options_help(owner, opts))
                complete = False
                continue
            if n_pos >= len(positional):
                most = f"at most {len(positional)}" if positional else "no"
                ctx.error(arg.span, "E203", f"too many positional arguments: {owner} takes "
                          f"{most} positional argument{'s' if len(positional) != 1 else ''}",
                          options_help(owner, opts))
                complete = False
                continue
            opt, n_pos = positional[n_pos], n_pos + 1
        else:
            seen_named = True
            opt = by_name.get(arg.name)
            if opt is None:
                ctx.error(arg.name_span or arg.span, "E103",
                          f"unknown option `{arg.name}` for {owner}", hint(arg.name, by_name))
                complete = False
                continue
        if opt.name in given:
            ctx.error(arg.span, "E105", f"option `{opt.name}` of {owner} given twice")
            continue
        label = f"{owner} {opt.name}" if qualify else opt.name
        table = opt.table() if callable(opt.table) else opt.table
        with ctx.at(opt.name):
            value = check_value(ctx, arg.value, opt, label, table)
        given[opt.name] = (arg, value)
        complete = complete and value is not MISSING
    options = {}
    for opt in opts:
        if opt.name in given:
            options[opt.name] = given[opt.name][1]
        elif opt.required:
            ctx.error(span, "E106", f"{owner} is missing required option `{opt.name}`",
                      f"write `{owner}({opt.name} = ...)`")
            complete = False
        else:
            options[opt.name] = opt.default
    return options, complete


def options_help(owner: str, opts: tuple[Opt, ...]) -> str:
    """What a call takes, for the help of a refused positional argument: `maxpool2d(size,
    stride)` by position, the rest by name."""
    if not opts:
        return f"`{owner}` takes no options: write `{owner}`"
    positional = [o.name for o in opts if o.positional]
    named = [o.name for o in opts if not o.positional]
    parts = []
    if positional:
        parts.append(f"{owner} takes {', '.join(positional)} by position, in this order: "
                     f"`{owner}({', '.join(positional)})`")
    if named:
        lead = "its other options are named" if positional else "name its options"
        parts.append(f"{lead}: " + ", ".join(f"`{n} = ...`" for n in named))
    return "; ".join(parts)


def option_span(args: tuple[ast.Arg, ...], opts: tuple[Opt, ...], name: str,
                fallback: Span) -> Span:
    """Where option `name` is written in a call's `args` (its value, named or positional), or
    `fallback` (the call) when the option was left at its default. A check that refuses one
    option points here, at the number to change."""
    positional = [o.name for o in opts if o.positional]
    n_pos = 0
    for arg in args:
        if arg.name is None:
            if n_pos < len(positional) and positional[n_pos] == name:
                return arg.value.span
            n_pos += 1
        elif arg.name == name:
            return arg.value.span
    return fallback


def check_choice(ctx: Ctx, v: ast.Value, table: dict[str, Choice], what: str) -> Call | None:
    """`adam(lr = 0.1)` or a bare `digits` -> a checked `Call` from `table` (None on error)."""
    if is_search_call(v):           # optimizer = choice(adam, sgd(momentum = 0.9))
        value = check_dimension(ctx, v, what, lambda item: check_choice(ctx, item, table, what)
                                or MISSING)
        return None if value is MISSING else value
    if isinstance(v, ast.Name):
        name, args, name_span = v.value, (), v.span
    elif isinstance(v, ast.Call):
        name, args, name_span = v.name, v.args, v.name_span
    else:
        example = next(iter(table), "name")
        ctx.error(v.span, "E201", f"{what}: expected a name such as `{example}`, "
                  f"got {ast.describe(v)}")
        return None
    choice = table.get(name)
    if choice is None:
        ctx.error(name_span, "E104", f"unknown {what} `{name}`", hint(name, table))
        return None
    options, complete = check_args(ctx, args, choice.opts, name, v.span, qualify=False)
    return Call(name, options, v.span) if complete else None


def _size(ctx: Ctx, v: ast.Value, opt: Opt, label: str) -> Any:
    """`2 GB` -> 2_000_000_000 bytes, `1.5 GiB` -> 1_610_612_736; or a name of `choices`."""
    if isinstance(v, ast.Name) and v.value in opt.choices:
        return v.value
    units = ", ".join(f"`{u}`" for u in SIZE_UNITS)
    if isinstance(v, ast.Quantity) and v.is_size:
        n = v.number.value
        if not math.isfinite(n) or n <= 0:
            ctx.error(v.number.span, "E202", f"{label} must be > 0, got {n} {v.unit}")
            return MISSING
        size = int(n * SIZE_UNITS[v.unit])
        if size >= INT_LIMIT:
            ctx.error(v.span, "E202", f"{label} is too large: {n} {v.unit} does not fit in "
                      "64 bits")
            return MISSING
        if opt.min is not None and size < opt.min:
            ctx.error(v.span, "E202", f"{label} must be at least {int(opt.min):,} bytes, got "
                      f"{size:,}")
            return MISSING
        return size
    alternatives = " or ".join(f"`{c}`" for c in opt.choices)
    h = None
    if isinstance(v, ast.Number):
        h = f"add a unit: `{v.value} GB` or `{v.value} MiB` (units: {units})"
    elif isinstance(v, ast.Name):
        h = hint(v.value, opt.choices)
    ctx.error(v.span, "E201" if not isinstance(v, ast.Name) else "E104",
              f"{label}: expected a memory size like `2 GB` or `512 MiB`"
              + (f", or {alternatives}" if alternatives else "") + f", got {ast.describe(v)}",
              h)
    return MISSING
