"""`--set path=value` overrides, applied to the AST before checking.

Paths: `data.KEY`, `train.KEY`, `regularize.KEY`, `prune.KEY`, `loss`, `optimizer`, `schedule`, `metrics`,
`clip`, an option of a call (`optimizer.momentum`, `clip.max_norm`), a layer's option by the layer's name as `recipec check` prints it
(`model.dropout_1.rate`, `model.dense_2.units`) and an option of an augment entry named the
same way (`data.augment.rotate_1.degrees`, compiler/augment.py). These are also the names of
the compiled step's run-time hyperparameters, so such a `--set` compiles nothing unless it
changes a shape or the structure.
The value is parsed with the grammar's own value syntax, so `--set optimizer=sgd(0.1)` and
`--set metrics=[accuracy,loss]` work; an option whose type is a string also takes a bare value,
verbatim (`--set data.source.path=/data/mnist`, `--set data.source.label=species`; see
override_targets.py). Spans point into the override text (file `<--set>`), which is what the
checker then reports if the new value is wrong.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Iterable

from .. import catalog
from ..diagnostics import RecipeError, Span
from ..layers import LAYERS
from ..naming import numbered
from ..options import Opt
from ..suggest import hint
from ..syntax import ast, parse_value
from .model import layer_paths
from .override_targets import target_option
from .values import Ctx

FILE = "<--set>"
_TABLES = {"optimizer": catalog.OPTIMIZERS, "schedule": catalog.SCHEDULES,
           "loss": catalog.LOSSES, "source": catalog.SOURCES,
           "test": catalog.SOURCES, "clip": catalog.CLIPS}
_SECTIONED = ("data", "train", "regularize", "prune", "distill", "quantize")  # `head.KEY`: a key of a `{ }` section
_HEADS = _SECTIONED + ("model",) + catalog.ASSIGNMENTS
_FORMS = ("use `data.KEY`, `train.KEY`, `regularize.KEY`, `prune.KEY`, `loss`, `optimizer`, `schedule`, "
          "`metrics`, `clip`, `optimizer.OPTION`, `clip.OPTION`, `model.LAYER.OPTION` or `data.augment.ENTRY.OPTION`")


def override_texts(overrides) -> Iterable[str]:
    if isinstance(overrides, dict):
        return [f"{k}={v}" for k, v in overrides.items()]
    if isinstance(overrides, str):
        return [overrides]
    return list(overrides)


def apply_overrides(ctx: Ctx, file: ast.File, overrides) -> ast.File:
    for text in override_texts(overrides):
        file = _apply_one(ctx, file, str(text))
    return file


def _apply_one(ctx: Ctx, file: ast.File, text: str) -> ast.File:
    whole = Span(FILE, 1, 1, 1, len(text) + 1)
    path, eq, raw = text.partition("=")
    parts = path.strip().split(".")
    if not eq or not all(re.fullmatch(r"[A-Za-z_]\w*", p) for p in parts):
        ctx.error(whole, "E002", f"malformed override `{text}`: expected `path=value`",
                  "e.g. `--set train.epochs=5` or `--set optimizer.lr=0.01`")
        return file
    if not raw.strip():
        ctx.error(whole, "E002", f"override `{text}` has no value after `=`",
                  f"e.g. `--set {path.strip()}=VALUE`; an empty string is `{path.strip()}=\"\"`")
        return file
    head = parts[0]
    sectioned = head in _SECTIONED
    entry = head == "data" and len(parts) == 4 and parts[1] == "augment"
    if head not in _HEADS or (head == "model" and len(parts) != 3) or (
            head != "model" and not entry and (len(parts) > (3 if sectioned else 2)
                                               or (sectioned and len(parts) < 2))):
        ctx.error(whole, "E002", f"cannot override `{path.strip()}`: {_FORMS}",
                  hint(head, _HEADS) if head not in _HEADS else None)
        return file
    value = _value(ctx, path, raw, target_option(file, parts), text,
                   names_option=len(parts) >= 3 or (len(parts) == 2 and not sectioned))
    if value is None:
        return file
    key_span = Span(FILE, 1, 1, 1, len(path) + 1)
    spans = _part_spans(path)
    if head == "model":
        return _set_layer(ctx, file, parts[1], parts[2], value, spans[1:], text)
    if entry:
        return _set_entry(ctx, file, parts[2], parts[3], value, spans[2:], text)
    if sectioned:
        idx = next((i for i, s in enumerate(file.body)
                    if isinstance(s, ast.Stmt) and s.name == head and s.body is not None), None)
        if idx is None:
            ctx.error(whole, "E002", f"cannot override `{path.strip()}`: the recipe has no "
                      f"`{head} {{ ... }}` section")
            return file
        section = file.body[idx]
        new_body = _set(ctx, section.body, parts[1], parts[2] if len(parts) == 3 else None,
                        value, key_span, text, spans[-1])
        return replace(file, body=file.body[:idx] + (replace(section, body=new_body),)
                       + file.body[idx + 1:])
    new_body = _set(ctx, file.body, head, parts[1] if len(parts) == 2 else None, value,
                    key_span, text, spans[-1])
    return replace(file, body=new_body)


def _value(ctx: Ctx, path: str, raw: str, opt: Opt | None, text: str,
           names_option: bool) -> ast.Value | None:
    """The override's value: recipe syntax, except that a string option takes its value bare
    and verbatim (`data.source.path=/data/mnist`, inner spaces kept, surrounding ones not);
    a value written in quotes is recipe syntax there too, escapes and all. An option that
    cannot be resolved (`data.source.pth`) gets an unparsable value as a string, so that the
    checker reports the misspelt option, with its did-you-mean, not the value's syntax."""
    start = len(path) + 2 + len(raw) - len(raw.lstrip())     # 1-based column of the value
    bare = raw.strip()
    if opt is not None and opt.kind == "str" and not bare.startswith('"'):
        odd = next((i for i, ch in enumerate(bare) if unicodedata.category(ch) == "Cc"), None)
        if odd is not None:
            ctx.error(Span(FILE, 1, start + odd, 1, start + odd + 1), "E002",
                      f"in override `{path.strip()}=...`: control character "
                      f"U+{ord(bare[odd]):04X} in a bare value",
                      "a bare value is taken verbatim; control characters cannot be part of it")
            return None
        return ast.Str(bare, Span(FILE, 1, start, 1, start + len(bare)))
    try:  # padding keeps the value's columns relative to the whole override text
        return parse_value(" " * (len(path) + 1) + raw, FILE)
    except RecipeError as e:
        if names_option and opt is None and bare and not bare.startswith('"'):
            return ast.Str(bare, Span(FILE, 1, start, 1, start + len(bare)))
        for d in e.diagnostics:
            ctx.error(d.span, "E002", f"in override `{text}`: {d.message}", d.hint)
        return None


def _set(ctx: Ctx, body: tuple, key: str, option: str | None, value: ast.Value,
         key_span: Span, text: str, option_span: Span) -> tuple:
    """Replace (or add) `key = value`, or option `option` inside the call `key = f(...)`;
    `option_span` (the option's name in the override) is where a misspelt option points."""
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
    new_call = replace(old, args=_set_arg(old, key, option, value, option_span))
    return body[:idx] + (replace(body[idx], value=new_call),) + body[idx + 1:]


def _set_arg(call: ast.Call, key: str, option: str, value: ast.Value,
             name_span: Span) -> tuple:
    # (`prune.schedule.over`: prune's gradual, whose names no learning-rate schedule has)
    choice = _TABLES.get(key, {}).get(call.name) or \
        (catalog.PRUNE_SCHEDULES.get(call.name) if key == "schedule" else None)
    return _with_arg(call.args, choice.opts if choice is not None else (), option, value,
                     name_span)


def _with_arg(args: tuple, opts: tuple, option: str, value: ast.Value,
              name_span: Span | None = None) -> tuple:
    """`args` with `option` set to `value`: replaced where it is given by name or by position
    (`sgd(0.1)` sets lr, `dropout(0.2)` the rate; `opts` says the positional order), else
    added."""
    args = list(args)
    for i, a in enumerate(args):
        if a.name == option:
            args[i] = replace(a, value=value)
            return tuple(args)
    names = [o.name for o in opts if o.positional]
    pos = [i for i, a in enumerate(args) if a.name is None]
    if option in names and names.index(option) < len(pos):
        i = pos[names.index(option)]
        args[i] = replace(args[i], value=value)
        return tuple(args)
    return tuple(args) + (ast.Arg(option, value, value.span, name_span or value.span),)


def _part_spans(path: str) -> list[Span]:
    """The span of each dot-separated part of `path` in the override text."""
    spans, col = [], 1 + len(path) - len(path.lstrip())
    for part in path.strip().split("."):
        spans.append(Span(FILE, 1, col, 1, col + len(part)))
        col += len(part) + 1
    return spans


def _section(file: ast.File, name: str) -> int | None:
    return next((i for i, s in enumerate(file.body)
                 if isinstance(s, ast.Stmt) and s.name == name and s.body is not None), None)


def _known_option(ctx: Ctx, opts: tuple, option: str, what: str, span: Span) -> bool:
    names = [o.name for o in opts]
    if option in names:
        return True
    ctx.error(span, "E103", f"{what} has no option `{option}`", hint(option, names))
    return False


def _set_layer(ctx: Ctx, file: ast.File, layer: str, option: str, value: ast.Value,
               spans: list[Span], text: str) -> ast.File:
    """`model.LAYER.OPTION=value`: the layer named as `recipec check` prints it."""
    idx = _section(file, "model")
    if idx is None:
        ctx.error(spans[0], "E002", f"cannot override `{text.partition('=')[0].strip()}`: "
                  "the recipe has no `model { ... }` section")
        return file
    paths = layer_paths(file.body[idx].body)
    if layer not in paths:
        ctx.error(spans[0], "E002", f"the model has no layer named `{layer}`",
                  hint(layer, paths) or "`recipec check` lists the layers' names")
        return file

    def edit(body: tuple, path: tuple[int, ...]) -> tuple | None:
        st = body[path[0]]
        if len(path) > 1:
            inner = edit(st.body, path[1:])
            new = None if inner is None else replace(st, body=inner)
        else:
            ldef = LAYERS[st.name]
            if not _known_option(ctx, ldef.opts, option, f"layer `{layer}` ({ldef.name})",
                                 spans[1]):
                return None
            new = replace(st, args=_with_arg(st.args or (), ldef.opts, option, value))
        return None if new is None else body[:path[0]] + (new,) + body[path[0] + 1:]

    model = file.body[idx]
    body = edit(model.body, paths[layer])
    if body is None:
        return file
    return replace(file, body=file.body[:idx] + (replace(model, body=body),)
                   + file.body[idx + 1:])


def _set_entry(ctx: Ctx, file: ast.File, entry: str, option: str, value: ast.Value,
               spans: list[Span], text: str) -> ast.File:
    """`data.augment.ENTRY.OPTION=value`: entries named by kind and count (`rotate_1`)."""
    idx = _section(file, "data")
    section = file.body[idx] if idx is not None else None
    at = None if section is None else next(
        (i for i, s in enumerate(section.body) if isinstance(s, ast.Assign)
         and s.key == "augment" and isinstance(s.value, ast.List)), None)
    items = () if at is None else section.body[at].value.items
    calls = [i for i, item in enumerate(items) if isinstance(item, ast.Call)]
    names = dict(zip(numbered(items[i].name for i in calls), calls))
    if entry not in names:
        where = "" if at is not None else " (the recipe sets no `augment = [...]` list)"
        ctx.error(spans[0], "E002", f"the augment list has no entry named `{entry}`{where}",
                  hint(entry, names) if names else None)
        return file
    call = items[names[entry]]
    choice = catalog.AUGMENTS.get(call.name)
    opts = choice.opts if choice is not None else ()     # an unknown kind: the checker says so
    if choice is not None and not _known_option(ctx, opts, option,
                                                f"augment entry `{entry}` ({call.name})",
                                                spans[1]):
        return file
    new_call = replace(call, args=_with_arg(call.args, opts, option, value))
    new_list = replace(section.body[at].value, items=items[:names[entry]] + (new_call,)
                       + items[names[entry] + 1:])
    new_body = section.body[:at] + (replace(section.body[at], value=new_list),) \
        + section.body[at + 1:]
    return replace(file, body=file.body[:idx] + (replace(section, body=new_body),)
                   + file.body[idx + 1:])
