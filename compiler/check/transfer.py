"""`init = checkpoint(...)` and `freeze` in the model section (compiler/transfer.py), checked
against the model's layers: every name in `layers` is a layer of this model that owns
parameters or statistics (did-you-mean otherwise), and not every parameter is frozen."""
from __future__ import annotations

from ..recipe import LayerSpec, TransferSpec
from ..suggest import hint
from ..syntax import ast
from ..transfer import INIT_SOURCES
from .values import Ctx, check_choice


def _walk(layers):
    for spec in layers:
        yield spec
        yield from _walk(spec.body)


def owners(spec: LayerSpec) -> list[str]:
    """The layers under `spec` (itself, or a block's body) that own state tensors."""
    if spec.body:
        return [name for inner in spec.body for name in owners(inner)]
    return [spec.name] if spec.params else []


def check_init(ctx: Ctx, assign: ast.Assign, layers: tuple[LayerSpec, ...]) -> TransferSpec | None:
    searched = _search_call(assign.value)
    if searched is not None:      # a trial sets values by --set path, and init has none
        ctx.error(searched.span, "E201", "model init: a search space cannot stand in "
                  "`init = checkpoint(...)`", "search over separate recipes instead")
        return None
    call = check_choice(ctx, assign.value, INIT_SOURCES, "model init")
    if call is None:
        return None
    path = call["path"]
    if not path.strip():
        ctx.error(_arg(assign.value, "path", 0).span, "E202", "checkpoint: the path is empty",
                  'write the file or folder to copy from: `checkpoint("runs/base/model")`')
        return None
    if call["layers"] is None:
        return TransferSpec(path, None, call.span)
    by_name = {spec.name: spec for spec in _walk(layers)}
    with_tensors = [n for n, spec in by_name.items() if owners(spec)]
    written = _arg(assign.value, "layers", 1)
    items = written.items if isinstance(written, ast.List) else ()
    chosen: list[str] = []
    ok, seen = True, set()
    for name, item in zip(call["layers"], items):
        spec = by_name.get(name)
        if spec is None:
            ctx.error(item.span, "E102", f"checkpoint layers: the model has no layer named "
                      f"`{name}`", hint(name, with_tensors) or _listing(with_tensors))
            ok = False
        elif not owners(spec):
            ctx.error(item.span, "E102", f"checkpoint layers: `{name}` ({spec.kind}) has no "
                      "parameters or statistics to copy", _listing(with_tensors))
            ok = False
        elif name in seen:
            ctx.error(item.span, "E105", f"checkpoint layers: `{name}` is named twice")
            ok = False
        else:
            seen.add(name)
            chosen += [n for n in owners(spec) if n not in chosen]
    if not ok:
        return None
    order = [n for n in by_name if n in chosen]        # model order, whatever the list's
    return TransferSpec(path, tuple(order), call.span)


def check_not_all_frozen(ctx: Ctx, model_stmt: ast.Stmt, layers: tuple[LayerSpec, ...]) -> None:
    """A model whose every parameter is frozen would train nothing: refused at `model`."""
    trained = [s for s in _walk(layers) if not s.body and s.params]
    if trained and all(s.options.get("freeze") for s in trained):
        last = trained[-1].name
        ctx.error(model_stmt.name_span, "E308", "every layer with parameters is frozen "
                  f"({', '.join(s.name for s in trained)}): nothing would train",
                  f"unfreeze a layer, e.g. the last: `freeze = false` on {last} or "
                  f"`--set model.{last}.freeze=false`")


def _search_call(v: ast.Value):
    """The first search-space call (`choice(...)`, `uniform(...)`) in `v`, or None."""
    from ..search.space import is_search_call
    if is_search_call(v):
        return v
    inner = [a.value for a in v.args] if isinstance(v, ast.Call) else \
        list(v.items) if isinstance(v, ast.List) else []
    return next((found for item in inner if (found := _search_call(item)) is not None), None)


def _listing(names: list[str]) -> str:
    if not names:
        return "this model has no layer with parameters"
    return "the layers with parameters are " + ", ".join(f"`{n}`" for n in names) + \
        " (`recipec check` prints every layer's name)"


def _arg(call: ast.Value, name: str, position: int) -> ast.Value:
    """The value of option `name` as written (by name, or as the `position`-th positional)."""
    args = call.args if isinstance(call, ast.Call) else ()
    positional = [a for a in args if a.name is None]
    for a in args:
        if a.name == name:
            return a.value
    return positional[position].value if position < len(positional) else call
