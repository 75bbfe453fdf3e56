"""`recipec runs`, `recipec runs show ID`, `recipec runs compare A B ...`: the run store, read.

Reading never creates or changes a store: with no store in the folder, `runs` says so and
exits 0, `show` and `compare` exit 2 (there is no such run).
"""
from __future__ import annotations

import time

from ..errors import StoreError
from .db import FILE, Store, folder_of
from .read import epochs_of, get_run, list_runs, main_metric, ref_text
from .tables import number, seconds_text, table, when


def runs_command(args) -> int:
    folder = folder_of(args.runs)
    store = Store.open(folder, create=False)
    action = getattr(args, "runs_command", None)
    if store is None:
        if action is None:
            print(f"no runs recorded in {folder} yet (no {FILE} there); `recipec run` "
                  f"records each run")
            return 0
        raise StoreError(f"{folder}: no run store there ({FILE}), so no run "
                         f"{ref_text(args.ids[0] if action == 'compare' else args.id)}",
                         "R004",
                         hint="give the folder the runs were recorded in with --runs DIR")
    try:
        if action == "show":
            show(store, args.id)
        elif action == "compare":
            compare(store, args.ids)
        else:
            listing(store, args)
    finally:
        store.close()
    return 0


# -- the list -------------------------------------------------------------------------------
def listing(store: Store, args) -> None:
    rows = list_runs(store, recipe=args.recipe, status=args.status, limit=args.n,
                     study=getattr(args, "study", None))
    if not rows:
        print(f"no runs in {store.name}" + _filters(args))
        return
    cells = []
    for r in rows:
        metric = main_metric(store, r)
        cells.append([str(r["id"]), _name(r), r["shown"], when(r["started"]),
                      seconds_text(_duration(r)), str(r["epochs"]),
                      f"{metric[0]} {number(metric[1])}" if metric else "-"])
    table(["id", "recipe", "status", "started", "duration", "epochs", "main metric"], cells,
          right={0, 4, 5}, title=f"{store.name}: {len(rows)} run(s), newest first"
          + _filters(args))


def _filters(args) -> str:
    said = [s for s in (f"recipe {args.recipe}" if args.recipe else "",
                        f"study {args.study}" if getattr(args, "study", None) else "",
                        f"status {args.status}" if args.status else "") if s]
    return f" ({', '.join(said)})" if said else ""


def _name(row: dict) -> str:
    return row["recipe"] + (f" [fold {row['fold']}/{row['folds']}]" if row["fold"] else "") \
        + (f" [trial {row['trial']}]" if row.get("study") else "")


def _duration(row: dict) -> float | None:
    if row["ended"] is not None:
        return row["ended"] - row["started"]
    return time.time() - row["started"] if row["shown"] == "running" else None


# -- one run --------------------------------------------------------------------------------
def show(store: Store, run: int) -> None:
    r = get_run(store, run)
    env = r["environment"] or {}
    lines = [f"run {r['id']}: {_name(r)}, {r['shown']}" +
             (" (its process is gone: killed, or its machine stopped)"
              if r["shown"] == "lost" else "")]
    fields = [
        ("recipe", f"{r['path']} (hash {r['hash'][:12]})"),
        ("overrides", " ".join(f"--set {o}" for o in r["overrides"]) or "none"),
        ("started", when(r["started"])),
        ("ended", f"{when(r['ended'])} ({seconds_text(_duration(r))})" if r["ended"]
         else "-"),
        ("error", r["error"]),
        ("host", f"{r['host']}, pid {r['pid']}"),
        ("python", f"{env.get('python')}, numpy {env.get('numpy')}, numba {env.get('numba')}"),
        ("threads", f"{env.get('threads')} (numba) of {env.get('cores')} cores; CPU "
                    f"{env.get('cpu')}"),
        ("blas", "; ".join(f"{b.get('internal_api')} {b.get('version')} "
                           f"({b.get('threading_layer')}, {b.get('num_threads')} threads)"
                           for b in env.get("blas", [])) or "none loaded"),
        ("checkpoints", r["checkpoints"]),
        ("resumed from", None if r["resumed_from"] is None else r["resumed_from"] + (
            f" (written by run {r['resumed_run']})" if r["resumed_run"] else "")),
        ("model", _model_text(store, r)),
        ("kfold", None if not r["fold"] else f"fold {r['fold']} of {r['folds']} (fold 1 is "
                                             f"run {r['kfold_first'] or r['id']})"),
        ("timings", _timings(r["timings"])),
    ]
    width = max(len(k) for k, _ in fields)
    lines += [f"{k.ljust(width)}  {v}" for k, v in fields if v]
    print("\n".join(lines))
    if r["final"]:
        print()
        _final_table({f"run {r['id']}": r["final"]}, title="final metrics")
    epochs = epochs_of(store, r["id"])
    print()
    if epochs:
        _epoch_table(epochs)
    else:
        print("no epoch recorded")
    print(f"\nrecipe text ({r['path']}, before the overrides):")
    print("\n".join("  " + line for line in r["text"].rstrip("\n").splitlines()))


def _model_text(store: Store, row: dict) -> str | None:
    """The model path, and whether a later run has written its own into the same folder
    (only with --model DIR or --no-store layouts: each run has its own folder otherwise)."""
    if row["model"] is None:
        return None
    later = store.read("SELECT MAX(id) AS id FROM runs WHERE model = ? AND id > ?",
                       (row["model"], row["id"]))[0]["id"]
    return row["model"] + (f" (since replaced by run {later}'s)" if later else "")


def _timings(t: dict | None) -> str | None:
    if not t:
        return None
    parts = [f"data {t['data_seconds']:.2f} s" if "data_seconds" in t else "",
             f"compile {t['compile_seconds']:.2f} s" if t.get("compile_seconds") else "",
             f"train {t['train_seconds']:.2f} s" if "train_seconds" in t else "",
             f"{t['steps']} steps ({t['steps_per_second']:,.0f}/s)" if t.get("steps") else ""]
    return ", ".join(p for p in parts if p)


def _epoch_table(epochs: list[dict]) -> None:
    train = list(dict.fromkeys(k for e in epochs for k in e["train"]))
    val = list(dict.fromkeys(k for e in epochs for k in e["validation"]))
    penalty = any(e["penalty"] is not None for e in epochs)
    headers = ["epoch", "steps", "seconds", "lr", *train, *(f"val_{k}" for k in val)] + \
        (["penalty"] if penalty else [])
    rows = [[str(e["epoch"]), str(e["steps"]), f"{e['seconds']:.3f}",
             "-" if e["lr"] is None else f"{e['lr']:.4g}",
             *(number(e["train"].get(k)) for k in train),
             *(number(e["validation"].get(k)) for k in val)] +
            ([number(e["penalty"])] if penalty else []) for e in epochs]
    table(headers, rows, right=set(range(len(headers))), title="epochs")


def _final_table(finals: dict[str, dict], title: str) -> None:
    keys = list(dict.fromkeys((split, k) for final in finals.values()
                              for split, metrics in final.items() for k in metrics))
    rows = [[f"{split} {k}", *(number((final.get(split) or {}).get(k))
                               for final in finals.values())] for split, k in keys]
    table(["metric", *finals], rows, right=set(range(1, len(finals) + 1)), title=title)


# -- several runs ---------------------------------------------------------------------------
def compare(store: Store, ids: list[int]) -> None:
    runs = [get_run(store, i) for i in ids]           # an unknown id: R004 before any output
    labels = [f"run {r['id']}" for r in runs]
    table(["", *labels], [
        ["recipe", *(_name(r) for r in runs)],
        ["status", *(r["shown"] for r in runs)],
        ["epochs", *(str(r["epochs"]) for r in runs)],
        ["duration", *(seconds_text(_duration(r)) for r in runs)]], title="runs")
    print()
    _final_table({label: r["final"] or {} for label, r in zip(labels, runs)},
                 title="final metrics")
    print()
    rows, how = recipe_differences(runs)
    if rows:
        table(["recipe value", *labels], [[k, *v] for k, v in rows], title=how)
    else:
        print(f"{how}: none differ" + ("" if len({r["hash"] for r in runs}) == 1 else
                                       " (the texts differ only in comments, spacing or "
                                       "order)"))


def recipe_differences(runs: list[dict]) -> tuple[list[tuple[str, list[str]]], str]:
    """The recipe values that differ, from each run's stored text and overrides checked
    again (flat.py); when one no longer checks (written for an older recipec), the texts
    compared line by line instead, with the overrides."""
    import recipec
    from .flat import differences, flat

    try:
        views = [flat(recipec.loads(r["text"], r["path"] or f"<run {r['id']}>",
                                    r["overrides"])) for r in runs]
        return differences(views), "recipe values that differ"
    except recipec.RecipeError:
        views = [{**{f"line {n}": line.strip() for n, line in
                     enumerate(r["text"].splitlines(), 1)},
                  "--set": " ".join(r["overrides"]) or "none"} for r in runs]
        return differences(views), ("recipe lines that differ (a recipe no longer checks, "
                                    "so the texts are compared line by line)")

