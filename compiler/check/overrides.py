"""`--set path=value` overrides, applied to the AST before checking.

The value is parsed with the grammar's own value syntax, so `--set optimizer=sgd(0.1)` and
`--set metrics=[accuracy,loss]` work. Spans point into the override text (file `<--set>`),
which is what the checker then reports if the new value is wrong.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable

from .. import catalog
from ..diagnostics import RecipeError, Span
from ..suggest import hint
from ..syntax import ast, parse_value
from .values import Ctx

FILE = "<--set>"
_TABLES = {"optimizer": catalog.OPTIMIZERS, "schedule": catalog.SCHEDULES,
           "loss": catalog.LOSSES, "source": catalog.SOURCES,
           "test": catalog.SOURCES}
_HEADS = ("data", "train") + catalog.ASSIGNMENTS


def _texts(overrides) -> Iterable[str]:
    if isinstance(overrides, dict):
        return [f"{k}={v}" for k, v in overrides.items()]
    if isinstance(overrides, str):
        return [overrides]
    return list(overrides)


def apply_overrides(ctx: Ctx, file: ast.File, overrides) -> ast.File:
    for text in _texts(overrides):
        file = _apply_one(ctx, file, str(text))
    return file


def _apply_one(ctx: Ctx, file: ast.File, text: str) -> ast.File:
    whole = Span(FILE, 1, 1, 1, len(text) + 1)
    path, eq, raw = text.partition("=")
    parts = path.strip().split(".")
    if not eq or not raw.strip() or not all(re.fullmatch(r"[A-Za-z_]\w*", p) for p in parts):
        ctx.error(whole, "E002", f"malformed override `{text}`: expected `path=value`",
                  "e.g. `--set train.epochs=5` or `--set optimizer.lr=0.01`")
        return file
    head = parts[0]
    sectioned = head in ("data", "train")
    if head not in _HEADS or len(parts) > (3 if sectioned else 2) or (sectioned and len(parts) < 2):
        ctx.error(whole, "E002", f"cannot override `{path.strip()}`: use `data.KEY`, "
                  "`train.KEY`, `loss`, `optimizer`, `schedule`, `metrics` or `optimizer.OPTION`",
                  hint(head, _HEADS) if head not in _HEADS else None)
        return file
    try:  # padding keeps the value's columns relative to the whole override text
        value = parse_value(" " * (len(path) + 1) + raw, FILE)
    except RecipeError as e:
        for d in e.diagnostics:
            ctx.error(d.span, "E002", f"in override `{text}`: {d.message}", d.hint)
        return file
    key_span = Span(FILE, 1, 1, 1, len(path) + 1)
    if sectioned:
        idx = next((i for i, s in enumerate(file.body)
                    if isinstance(s, ast.Stmt) and s.name == head and s.body is not None), None)
        if idx is None:
            ctx.error(whole, "E002", f"cannot override `{path.strip()}`: the recipe has no "
                      f"`{head} {{ ... }}` section")
            return file
        section = file.body[idx]
        new_body = _set(ctx, section.body, parts[1], parts[2] if len(parts) == 3 else None,
                        value, key_span, text)
        return replace(file, body=file.body[:idx] + (replace(section, body=new_body),)
                       + file.body[idx + 1:])
    new_body = _set(ctx, file.body, head, parts[1] if len(parts) == 2 else None, value,
                    key_span, text)
    return replace(file, body=new_body)


def _set(ctx: Ctx, body: tuple, key: str, option: str | None, value: ast.Value,
         key_span: Span, text: str) -> tuple:
    """Replace (or add) `key = value`, or option `option` inside the call `key = f(...)`."""
    idx = next((i for i, s in enumerate(body) if isinstance(s, ast.Assign) and s.key == key),
               None)
    if option is None:
        new = ast.Assign(key, value, Span(FILE, 1, 1, 1, value.span.end_col), key_span)
        return body[:idx] + (new,) + body[idx + 1:] if idx is not None else body + (new,)
    old = body[idx].value if idx is not None else None
    if isinstance(old, ast.Name):  # `loss = mse` is the call `mse()` with no arguments
        old = ast.Call(old.value, (), old.span, old.span)
    if not isinstance(old, ast.Call):
        ctx.error(Span(FILE, 1, 1, 1, len(text) + 1), "E002",
                  f"cannot set `{option}`: `{key}` is not set to a call like `name(...)`")
        return body
    new_call = replace(old, args=_set_arg(old, key, option, value))
    return body[:idx] + (replace(body[idx], value=new_call),) + body[idx + 1:]


def _set_arg(call: ast.Call, key: str, option: str, value: ast.Value) -> tuple:
    args = list(call.args)
    for i, a in enumerate(args):
        if a.name == option:
            args[i] = replace(a, value=value)
            return tuple(args)
    # The option may have been given positionally (`sgd(0.1)` sets lr): replace that one.
    choice = _TABLES.get(key, {}).get(call.name)
    if choice is not None:
        names = [o.name for o in choice.opts if o.positional]
        pos = [i for i, a in enumerate(args) if a.name is None]
        if option in names and names.index(option) < len(pos):
            i = pos[names.index(option)]
            args[i] = replace(args[i], value=value)
            return tuple(args)
    return tuple(args) + (ast.Arg(option, value, value.span, value.span),)
