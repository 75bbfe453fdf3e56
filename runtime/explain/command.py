"""`recipec explain MODEL [--split S] [--repeats N] [-o importance.png]`: the permutation
importance of each input feature, as a table and a bar chart."""
from __future__ import annotations

import sys


def explain_command(args) -> int:
    from ..eval_command import _default_split
    from ..model import load_model, resolve_model
    from .importance import importance_figure, permutation_importance

    model = load_model(resolve_model(args.model, getattr(args, "runs", None)))
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
