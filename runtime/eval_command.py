"""`recipec eval MODEL [--data PATH [--labels Y.npy]] [--split test|validation|train]
[--report out.json]`: a trained model's loss and metrics on its recipe's split (by default
the test split, else validation, else train) or on another data file; the confusion table
when the recipe has a confusion metric. Nothing is fitted: the stored preparation is used."""
from __future__ import annotations

import sys


def eval_command(args) -> int:
    from .model import load_model, resolve_model
    from .report import unwritable_reason, write_json_atomic
    from .run import confusion_table

    if args.report and (why := unwritable_reason(args.report)):
        print(f"recipec: error: --report {args.report}: {why}", file=sys.stderr)
        return 2
    if args.data is not None and args.split is not None:
        print("recipec: error: --data and --split: give one (--split is a split of the "
              "recipe's own data)", file=sys.stderr)
        return 2
    if args.labels is not None and args.data is None:
        print("recipec: error: --labels goes with --data X.npy", file=sys.stderr)
        return 2
    model = load_model(resolve_model(args.model, getattr(args, "runs", None)))
    what = args.data if args.data is not None else args.split or _default_split(model)
    try:
        rows = model.rows(what, args.labels)
    except ValueError as err:             # a split the recipe's data does not have
        print(f"recipec: error: {err}", file=sys.stderr)
        return 2
    metrics = model.program.evaluate_part(rows)
    details = model.program.part_details(rows)
    label = what if args.data is None else f"{what} ({len(rows)} rows)"
    print(f"{label}: " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    if "confusion" in details:
        print(confusion_table(details["confusion"], model.class_names, label))
    if args.report:
        write_json_atomic(args.report, {"model": str(model.folder), "recipe": model.recipe.name,
                                        "data" if args.data else "split": what,
                                        "rows": len(rows), "metrics": metrics,
                                        "details": details})
    return 0


def _default_split(model) -> str:
    splits = model.splits()
    for name in ("test", "validation", "train"):
        if getattr(splits, name) is not None:
            return name
    return "train"
