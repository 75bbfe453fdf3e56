"""`quantize { method = int8  calibration = 512 samples  per_channel = true  layers = [...] }`,
checked against the model: the layers named exist and have an int8 kernel (dense, conv1d,
conv2d: a product with int32 sums); a search beside it is refused (a trial would score the
float model)."""
from __future__ import annotations

from ..recipe import LayerSpec, QuantizeSpec
from ..suggest import hint
from ..syntax import ast
from .values import Ctx

INT8_KINDS = ("dense", "conv1d", "conv2d")


def quantizable(layers: tuple[LayerSpec, ...]) -> dict[str, LayerSpec]:
    """The top-level layers with an int8 kernel, by name, in model order."""
    return {s.name: s for s in layers if s.kind in INT8_KINDS}


def check_quantize(ctx: Ctx, st: ast.Stmt, keyed: dict, layers: tuple[LayerSpec, ...],
                   searched: bool, shrinks: bool = False) -> QuantizeSpec | None:
    given = {item.key: item for item in st.body or () if isinstance(item, ast.Assign)}
    candidates = quantizable(layers)
    ok = True
    if keyed["layers"] is None:
        names = list(candidates)
        if not names:
            ctx.error(st.name_span, "E102", "quantize: this model has no layer with an int8 "
                      "kernel (dense, conv1d, conv2d at the top level)")
            return None
    else:
        names = []
        everything = {s.name: s for s in _walk(layers)}
        for name, item in zip(keyed["layers"], given["layers"].value.items):
            if name in names:
                ctx.error(item.span, "E105", f"quantize layers: `{name}` is named twice")
                ok = False
            elif name in candidates:
                names.append(name)
            elif name in everything:
                ctx.error(item.span, "E102", f"quantize layers: `{name}` "
                          f"({everything[name].kind}) has no int8 kernel: int8 runs "
                          f"{', '.join(INT8_KINDS)} layers (at the top level); the rest of "
                          "the model stays float32", _listing(list(candidates)))
                ok = False
            else:
                ctx.error(item.span, "E102", f"quantize layers: the model has no layer named "
                          f"`{name}`", hint(name, list(candidates)))
                ok = False
    if shrinks:
        ctx.error(st.name_span, "E201", "quantize: `prune { method = l1_filters }` cuts the "
                  "saved model's units out after the training, and the int8 codes would be "
                  "of the uncut layers", "quantize the pruned model's own recipe, or prune "
                  "with `method = magnitude`")
        ok = False
    if searched:
        ctx.error(st.name_span, "E201", "quantize: a search trial is scored on the float32 "
                  "model, not the quantised one", "search without `quantize`, then quantise "
                  "the chosen point with `recipec run`")
        ok = False
    if not ok:
        return None
    order = tuple(n for n in candidates if n in names)
    return QuantizeSpec(keyed["method"], keyed["calibration"], keyed["per_channel"], order,
                        st.span)


def _walk(layers):
    for spec in layers:
        yield spec
        yield from _walk(spec.body)


def _listing(names: list[str]) -> str | None:
    return f"the layers with an int8 kernel: {', '.join(names)}" if names else None
