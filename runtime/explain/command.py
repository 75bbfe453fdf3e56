"""`recipec explain MODEL`: for a tabular model, the permutation importance of each input
feature, as a table (and a bar chart with -o); for an image model (an input of rank 2 or
more), gradient saliency and integrated gradients of a few samples, as a table and a PNG."""
from __future__ import annotations

import sys


def explain_command(args) -> int:
    from ..eval_command import _default_split
    from ..model import load_model, resolve_model
    from .importance import importance_figure, permutation_importance

    model = load_model(resolve_model(args.model, getattr(args, "runs", None)))
    if len(model.recipe.model.input_shape) >= 2:
        return _saliency(model, args)
    if args.input is not None:
        print("recipec: error: --input is for image models (saliency); a tabular model's "
              "importance is measured on a split (--split)", file=sys.stderr)
        return 2
    split = args.split or _default_split(model)
    try:
        rows = model.rows(split)
        table = permutation_importance(model, rows, repeats=args.repeats, seed=args.seed)
    except ValueError as err:              # no such split; an image model
        print(f"recipec: error: {err}", file=sys.stderr)
        return 2
    metric = next((m.kind for m in model.recipe.metrics if m.kind != "loss"), None)
    width = max(len(t.feature) for t in table)
    print(f"permutation importance on {split} ({len(rows.y)} rows, {args.repeats} shuffles "
          f"each):")
    print(f"  {'feature'.ljust(width)}  loss increase" + (f"  {metric} drop" if metric else ""))
    for t in table:
        line = f"  {t.feature.ljust(width)}  {t.loss_increase:+.4f} ± {t.loss_std:.4f}"
        if t.metric_drop is not None:
            line += f"  {t.metric_drop:+.4f} ± {t.metric_std:.4f}"
        print(line)
    if args.output:
        importance_figure(table, f"{model.recipe.name}: permutation importance ({split})",
                          args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _saliency(model, args) -> int:
    from ..eval_command import _default_split
    from ..model.inputs import read_inputs
    from .saliency import explain, saliency_figure

    output = args.output or "saliency.png"
    labels = None
    if args.input is not None:
        try:
            x = model.program.prepare_inputs(read_inputs(args.input, model.preparation))
        except (ValueError, TypeError) as err:      # shaped otherwise, not numbers, NaN
            print(f"recipec: error: {args.input}: {err}", file=sys.stderr)
            return 2
        where = args.input
    else:
        split = args.split or _default_split(model)
        try:
            rows = model.rows(split)
        except ValueError as err:
            print(f"recipec: error: {err}", file=sys.stderr)
            return 2
        x, labels, where = rows.x, rows.y, f"the {split} split"
    x = x[:args.samples]
    e = explain(model, x, steps=args.steps)
    names = model.class_names
    print(f"saliency and integrated gradients ({args.steps} steps, from an all-zero input) "
          f"of {len(x)} samples of {where}:")
    print("  sample  " + ("label  " if labels is not None else "") + "class  probability  "
          "completeness gap")
    for i in range(len(x)):
        label = (f"{names[labels[i]] if names else labels[i]!s:>5}  "
                 if labels is not None else "")
        cls = names[e.classes[i]] if names else e.classes[i]
        print(f"  {i:6d}  {label}{cls!s:>5}  {e.probabilities[i]:11.4f}  "
              f"{e.completeness_gap[i]:16.4f}")
    saliency_figure(e, names, f"{model.recipe.name}: saliency ({where})", output)
    print(f"wrote {output}", file=sys.stderr)
    return 0
