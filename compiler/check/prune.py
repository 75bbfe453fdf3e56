"""`prune { ... }`, checked against the model and the training: the layers named have a trained
weight (did-you-mean otherwise), and the schedule's ramp starts no sparser than it ends.
A oneshot prune without `finetune` is post-training pruning: the masks are applied and the
model evaluated, with no step trained after them."""
from __future__ import annotations

from ..options import Duration
from ..recipe import Call, LayerSpec, PruneSpec
from ..suggest import hint
from ..syntax import ast
from .values import Ctx

# gradual's `every` when the recipe does not say: tfmot's pruning frequency
DEFAULT_EVERY = Duration(100, "steps")


def _walk(layers):
    for spec in layers:
        yield spec
        yield from _walk(spec.body)


def prunable(layers: tuple[LayerSpec, ...]) -> dict[str, LayerSpec]:
    """The layers whose weight may be pruned, by name: those with a weight matrix or kernel
    (the ones taking l1/l2/max_norm: dense, conv1d, conv2d) that is trained."""
    return {s.name: s for s in _walk(layers) if "l1" in s.options}


def check_prune(ctx: Ctx, st: ast.Stmt, keyed: dict, layers: tuple[LayerSpec, ...]
                ) -> PruneSpec | None:
    given = {item.key: item for item in st.body or () if isinstance(item, ast.Assign)}
    candidates = prunable(layers)
    trained = [name for name, s in candidates.items() if not s.options.get("freeze")]
    ok = True
    if keyed["layers"] is None:
        if not trained:
            ctx.error(st.name_span, "E102", "prune: this model has no trained layer with a "
                      "weight to prune (dense, conv1d, conv2d)")
            return None
        names = trained
    else:
        names, items = [], given["layers"].value.items
        for name, item in zip(keyed["layers"], items):
            spec = candidates.get(name)
            if spec is None:
                others = {s.name: s for s in _walk(layers)}
                why = (f"`{name}` ({others[name].kind}) has no weight to prune"
                       if name in others else f"the model has no layer named `{name}`")
                ctx.error(item.span, "E102", f"prune layers: {why}",
                          hint(name, trained) if name not in others else
                          _listing(trained))
                ok = False
            elif spec.options.get("freeze"):
                ctx.error(item.span, "E102", f"prune layers: `{name}` is frozen (`freeze = "
                          "true`): its weight never changes, so a mask could not be "
                          "fine-tuned around", _listing(trained))
                ok = False
            elif name in names:
                ctx.error(item.span, "E105", f"prune layers: `{name}` is named twice")
                ok = False
            else:
                names.append(name)
    schedule: Call = keyed["schedule"] or Call("oneshot", {}, st.span)
    initial, over, every = 0.0, None, DEFAULT_EVERY
    if schedule.kind == "gradual":
        initial, over = schedule["from"], schedule["over"]
        every = schedule["every"] or DEFAULT_EVERY
        if initial > keyed["sparsity"]:
            ctx.error(schedule.span, "E202", f"prune: gradual starts at sparsity {initial:g}, "
                      f"above the target {keyed['sparsity']:g}: a mask only grows",
                      "lower `from`, or raise `sparsity`")
            ok = False
    if keyed["method"] == "l1_filters":
        ok = _structured(ctx, st, given, keyed, layers, names) and ok
    if not ok:
        return None
    order = [n for n in candidates if n in names]          # model order, whatever the list's
    return PruneSpec(keyed["method"], keyed["sparsity"], schedule.kind, initial, over, every,
                     keyed["scope"], tuple(f"{n}.weight" for n in order), keyed["finetune"],
                     keyed["lr"], st.span)


def _structured(ctx: Ctx, st: ast.Stmt, given: dict, keyed: dict,
                layers: tuple[LayerSpec, ...], names: list[str]) -> bool:
    """l1_filters removes whole output units: per layer (a global threshold over filters of
    different sizes means little), on top-level layers (a block's body keeps its shapes)
    that another weight layer reads (the last one's units are the model's outputs)."""
    ok = True
    if keyed["scope"] != "per_layer":
        ctx.error(given["scope"].value.span, "E201", "prune: l1_filters prunes each layer "
                  "to the sparsity on its own (scope = per_layer)", "remove `scope = global`")
        ok = False
    top = [s.name for s in layers]
    with_weight = [s.name for s in layers if "l1" in s.options]
    at = given["layers"].value.span if "layers" in given else st.name_span
    for name in list(names):
        if name not in top and "layers" not in given:
            names.remove(name)                 # by default: the top-level layers
        elif name not in top:
            ctx.error(at, "E102", f"prune: l1_filters cannot remove units of `{name}`, a "
                      "layer inside a block (the block's shapes are fixed)",
                      "list top-level layers in `layers = [...]`")
            ok = False
        elif name == with_weight[-1]:
            if "layers" in given:
                ctx.error(at, "E102", f"prune: l1_filters cannot remove units of `{name}`: "
                          "its units are the model's outputs",
                          "leave the last layer with a weight out of `layers`")
                ok = False
            else:
                names.remove(name)             # by default: every layer but the output one
    if ok and not names:
        ctx.error(at, "E102", "prune: l1_filters has no layer to remove units of: only the "
                  "output layer has a weight")
        ok = False
    return ok


def _listing(names: list[str]) -> str:
    if not names:
        return "this model has no trained layer with a weight"
    return "the layers it can prune are " + ", ".join(f"`{n}`" for n in names)
