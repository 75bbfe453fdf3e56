"""The `model { ... }` section: layer names and options, then shapes, params and FLOPs.

Shapes are inferred layer by layer with each `LayerDef.shape`; once a layer fails, shapes
after it are unknown, but options of the remaining layers are still checked so that
one run reports every problem.
"""
from __future__ import annotations

from ..layers import LAYERS, LayerDef, ShapeError
from ..naming import next_name
from ..recipe import LayerSpec, ModelSpec
from ..suggest import hint
from ..syntax import ast
from .transfer import check_init, check_not_all_frozen
from .values import MISSING, Ctx, check_args, check_shape, option_span

Shape = tuple[int, ...]


def check_model(ctx: Ctx, stmt: ast.Stmt, body: tuple) -> tuple[ModelSpec | None, Shape | None]:
    """Returns the ModelSpec (None if anything failed) and the output shape if known."""
    if not body:
        ctx.error(stmt.body_span or stmt.span, "E107", "empty `model { }`: it must start "
                  "with `input [d1, ...]` and have at least one layer",
                  "e.g. `model { input [64]  dense(10) }`")
        return None, None
    settings = [st for st in body if isinstance(st, ast.Assign) and st.key == "init"]
    body = tuple(st for st in body if not (isinstance(st, ast.Assign) and st.key == "init"))
    for extra in settings[1:]:
        ctx.error(extra.key_span, "E105", f"duplicate `init` in model (first given at line "
                  f"{settings[0].key_span.line})")
    if not body:
        ctx.error(stmt.body_span or stmt.span, "E107", "the model has `init = ...` but no "
                  "layers: it must have `input [d1, ...]` and at least one layer")
        return None, None
    first, rest, in_shape, in_span = body[0], body[1:], None, None
    if isinstance(first, ast.Stmt) and first.name == "input":
        in_shape, in_span = _input(ctx, first), first.span
    else:
        ctx.error(first.span, "E301", "the model must start with `input [d1, ...]`",
                  "add e.g. `input [64]` (the per-sample feature shape) as the first line")
        rest = body
    layers, out = _layers(ctx, rest, in_shape, {})
    if in_shape is None or layers is None:
        return None, out
    init = None
    if settings:
        reported = len(ctx.diagnostics)
        init = check_init(ctx, settings[0], layers)
        if len(ctx.diagnostics) > reported:
            return None, out
    check_not_all_frozen(ctx, stmt, layers)
    return ModelSpec(in_shape, layers, stmt.span, input_span=in_span, init=init), out


def _input(ctx: Ctx, st: ast.Stmt) -> Shape | None:
    if st.args is not None or st.body is not None:
        ctx.error(st.span, "E301", "`input` takes only a shape: `input [d1, ...]`")
        return None
    shape = check_shape(ctx, st.shape, "input", "E301") if st.shape is not None else MISSING
    if st.shape is None:
        ctx.error(st.span, "E301", "`input` needs a shape, e.g. `input [64]`")
    return None if shape is MISSING else shape


def _layers(ctx: Ctx, stmts: tuple, shape: Shape | None,
            counters: dict[str, int]) -> tuple[tuple[LayerSpec, ...] | None, Shape | None]:
    """Check a sequence of layers from `shape`; (specs or None if any failed, out shape)."""
    specs, complete = [], True
    for st in stmts:
        spec = _layer(ctx, st, shape, counters)
        if spec is None:
            complete, shape = False, None
        else:
            specs.append(spec)
            shape = spec.out_shape
    return (tuple(specs) if complete else None), shape


def _layer(ctx: Ctx, st, shape: Shape | None, counters: dict[str, int]) -> LayerSpec | None:
    if isinstance(st, ast.Assign):
        ctx.error(st.span, "E101", f"unexpected setting `{st.key} = ...` in model: "
                  "expected a layer such as `dense(64)`",
                  "`init = checkpoint(...)` belongs at the model's top level, not in a block"
                  if st.key == "init" else hint(st.key, ("init",)) or
                  "the model's one setting is `init = checkpoint(...)`, at its top level")
        return None
    if st.name == "input":
        ctx.error(st.span, "E301", "`input` must be the first statement of the model")
        return None
    ldef: LayerDef | None = LAYERS.get(st.name)
    if ldef is None:
        ctx.error(st.name_span, "E102", f"unknown layer `{st.name}`", hint(st.name, LAYERS))
        if st.body:  # still look inside a misspelt block for more problems
            _layers(ctx, st.body, None, counters)
        return None
    # Names count each kind in model order, depth-first; a block is numbered before its body
    # (check/overrides.py finds a layer for `--set model.NAME.OPTION` by the same walk).
    name = next_name(counters, ldef.name)
    ok = True
    if st.shape is not None:
        ctx.error(st.shape.span, "E201", f"layer `{ldef.name}` takes no shape list")
        ok = False
    reported = len(ctx.diagnostics)
    with ctx.at("model", name):
        options, complete = check_args(ctx, st.args or (), ldef.opts, ldef.name, st.span, True)
    # An option reported out of range (stride = 0) still comes back, but a shape rule must
    # never run on it: it would divide by zero. Shapes after this layer are then unknown.
    ok = ok and complete and len(ctx.diagnostics) == reported
    body, body_out = (), None
    if ldef.block:
        if st.body is None:
            ctx.error(st.span, "E201", f"`{ldef.name}` needs a body of layers: "
                      f"`{ldef.name} {{ dense(64) relu }}`")
            ok = False
        elif not st.body:
            ctx.error(st.body_span or st.span, "E107", f"empty `{ldef.name} {{ }}` block: "
                      f"`{ldef.name}` needs at least one layer in its body",
                      f"put layers in it, e.g. `{ldef.name} {{ dense(64) relu }}`, or remove it")
            ok = False
        else:
            inner, body_out = _layers(ctx, st.body, shape if ok else None, counters)
            ok = ok and inner is not None
            body = inner or ()
    elif st.body is not None:
        ctx.error(st.span, "E201", f"layer `{ldef.name}` takes no `{{ ... }}` block")
        ok = False
    if not ok or shape is None:
        return None
    try:
        rule_opts = dict(options, _body_out=body_out) if ldef.block else options
        out = tuple(ldef.shape(shape, rule_opts))
    except ShapeError as e:
        where = option_span(st.args or (), ldef.opts, e.option, st.span) if e.option else st.span
        ctx.error(where, "E302", str(e), e.hint)
        return None
    params = ldef.params(shape, options) + sum(b.params for b in body)
    flops = ldef.flops(shape, out, options) + sum(b.flops for b in body)
    return LayerSpec(ldef.name, name, options, st.span, shape, out, params, flops, body)



def layer_paths(stmts: tuple) -> dict[str, tuple[int, ...]]:
    """Every layer's name (as `_layer` names it) -> its index path in the model body: (i,)
    for a top-level layer, (i, j) for layer j in the body of block i. `--set
    model.NAME.OPTION` finds its layer with this (check/overrides.py)."""
    paths: dict[str, tuple[int, ...]] = {}
    counters: dict[str, int] = {}

    def walk(body: tuple, prefix: tuple[int, ...]) -> None:
        for i, st in enumerate(body):
            if not isinstance(st, ast.Stmt) or st.name == "input":
                continue
            ldef = LAYERS.get(st.name)
            if ldef is not None:
                paths[next_name(counters, ldef.name)] = prefix + (i,)
            # the checker looks inside a misspelt block too, so its layers are counted
            if st.body and (ldef is None or ldef.block):
                walk(st.body, prefix + (i,))

    walk(stmts, ())
    return paths
