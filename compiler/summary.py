"""`recipec check` output: a plain-text table of layers, shapes, params and FLOPs.

Counts are Python ints, never numpy's: a huge model prints its true size instead of a wrapped
int64. Strings from the recipe or the command line (paths, file names) are printed through
`printable`, so a control character in them cannot act on the terminal."""
from __future__ import annotations

from .diagnostics import printable
from .naming import numbered
from .options import Duration
from .recipe import Call, LayerSpec, Recipe


def _value(v) -> str:
    if isinstance(v, Duration):
        return f"{v.amount} {v.unit}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return printable(v)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, Call):                   # a nested schedule: warmup(..., then = cosine())
        return format_call(v)
    if isinstance(v, tuple):                  # `at = [30 epochs, 60 epochs]`, `size = [16, 16]`
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def _metrics(calls) -> str:
    return ", ".join(format_call(m) if m.options else m.kind for m in calls) or "(none)"


def format_call(call: Call) -> str:
    opts = ", ".join(f"{k} = {_value(v)}" for k, v in call.options.items() if v is not None)
    return f"{call.kind}({opts})"


def _shape(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _rows(layers: tuple[LayerSpec, ...], depth: int):
    for layer in layers:
        kind = layer.kind + (" (frozen)" if layer.options.get("freeze") else "")
        yield ("  " * depth + layer.name, kind, _shape(layer.out_shape),
               f"{layer.params:,}", f"{layer.flops:,}")
        yield from _rows(layer.body, depth + 1)


def summary(recipe: Recipe) -> str:
    """Layer table (body layers of blocks indented under them), totals, then the settings."""
    m = recipe.model
    header = ("layer", "kind", "output", "params", "FLOPs/sample")
    rows = [("input", "input", _shape(m.input_shape), "0", "0")]
    rows += list(_rows(m.layers, 0))
    total = ("total", "", "", f"{m.params:,}", f"{m.flops:,}")
    widths = [max(len(r[i]) for r in [header, total] + rows) for i in range(5)]

    def line(r) -> str:  # text columns left-aligned, numbers right-aligned
        cells = [r[i].ljust(widths[i]) for i in range(3)] + [r[i].rjust(widths[i]) for i in (3, 4)]
        return "  ".join(cells).rstrip()

    rule = "-" * len(line(header))
    t, d = recipe.train, recipe.data
    out = [f"recipe {printable(recipe.name)}  ({printable(recipe.path)})", "", line(header), rule]
    out += [line(r) for r in rows] + [rule, line(total), ""]
    extra = (f", test = {format_call(d.test)}" if d.test is not None else "") + \
        (f", scale = {d.scale:g}" if d.scale != 1.0 else "") + \
        (f", reshape = {_shape(d.reshape)}" if d.reshape is not None else "") + \
        (f", layout = {d.layout}" if d.layout != "chw" else "") + \
        (f", impute = {format_call(d.impute)}" if d.impute is not None else "") + \
        (f", outliers = {format_call(d.outliers)}" if d.outliers is not None else "")
    if m.init is not None:
        which = "[" + ", ".join(m.init.layers) + "]" if m.init.layers is not None else \
            "every layer the file holds"
        out += [f"init       checkpoint(\"{printable(m.init.path)}\"), layers {which}"]
    out += [f"data       {format_call(d.source)}{extra}, normalize = {d.normalize}, "
            f"validation = {d.validation:g}, shuffle = {_value(d.shuffle)}",
            *(["augment    " + ", ".join(
                f"{name}: {format_call(c)}"
                for name, c in zip(numbered(c.kind for c in d.augment), d.augment))]
              if d.augment else []),
            f"loss       {format_call(recipe.loss)}",
            f"optimizer  {format_call(recipe.optimizer)}",
            f"schedule   {format_call(recipe.schedule)}",
            *([f"clip       {format_call(recipe.clip)}"] if recipe.clip is not None else []),
            *([f"regularize l1 = {recipe.regularize['l1']:g}, l2 = {recipe.regularize['l2']:g}"]
              if recipe.regularize is not None else []),
            f"train      {'epochs' if t.steps is None else 'steps'} = "
            f"{t.epochs if t.steps is None else t.steps}, batch = {t.batch}, seed = {t.seed}",
            f"metrics    {_metrics(recipe.metrics)}",
            *([_prune_line(recipe.prune)] if recipe.prune is not None else []),
            *([_distill_line(recipe.distill)] if recipe.distill is not None else []),
            *([_quantize_line(recipe.quantize)] if recipe.quantize is not None else [])]
    return "\n".join(out)


def _quantize_line(q) -> str:
    """`quantize   int8 (per channel), 512 calibration rows; conv2d_1, dense_1`"""
    how = "per channel" if q.per_channel else "per tensor"
    return (f"quantize   {q.method} ({how}), {q.calibration} calibration rows; "
            f"{', '.join(q.layers)}")


def _distill_line(d) -> str:
    """`distill    from model("runs/big/model"), temperature = 4, alpha = 0.9`"""
    return (f'distill    from {d.teacher}("{d.path}"), temperature = {d.temperature:g}, '
            f"alpha = {d.alpha:g}")


def _prune_line(p) -> str:
    """`prune      magnitude to 0.8 (per layer): gradual(from = 0, over = 3 epochs, every =
    100 steps), finetune 2 epochs; conv2d_1.weight, ...`"""
    how = (f"gradual(from = {p.initial:g}, over = {p.over}, every = {p.every})"
           if p.schedule == "gradual" else "oneshot")
    tail = f", finetune {p.finetune}" if p.finetune is not None else ""
    lr = f", lr = {p.lr:g}" if p.lr is not None else ""
    return (f"prune      {p.method} to {p.sparsity:g} ({p.scope.replace('_', ' ')}): {how}"
            f"{tail}{lr}; {', '.join(p.weights)}")
