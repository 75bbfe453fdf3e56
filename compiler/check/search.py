"""The `search { ... }` section and the recipe's search space as a whole: the section's `auto`s
resolved (the metric: early stopping's monitor, else val_loss with a validation split, else
the training loss; the direction from the metric), a grid only over finite dimensions, a
search section only where there is something to search."""
from __future__ import annotations

import math

from ..diagnostics import Span
from ..recipe import SearchSpec
from ..syntax import ast

DEFAULT_TRIALS = 20


def check_search(ctx, st: ast.Stmt | None, keyed: dict | None, space: list, monitors: dict,
                 data, early_stop, monitor_ok) -> SearchSpec | None:
    """`keyed`: the section's checked keys (None when the section is absent or failed);
    `monitor_ok(name, span)` reports an unknown monitor or one without its split."""
    own = [d for d in space if d.name.startswith("search.")]
    for d in own:
        ctx.error(d.span, "E201", f"{d.name}: the search section's own values cannot be "
                  f"searched", "give it one value")
    if own:
        return None
    if st is not None and keyed is None:
        return None
    if not space:
        if st is not None and not ctx.point:
            ctx.error(st.name_span, "E106", "search: the recipe has no search space to explore",
                      "write a range or a choice in place of a value, e.g. `optimizer = "
                      "adam(lr = loguniform(1e-4, 1e-1))`")
        return None
    s = keyed or {}
    given = {item.key: item.value.span for item in (st.body or ()) if isinstance(item, ast.Assign)} \
        if st is not None else {}
    where = st.name_span if st is not None else space[0].span
    metric = s.get("metric", "auto")
    if metric == "auto":
        metric = (early_stop.monitor if early_stop is not None
                  else "val_loss" if data.validation > 0 else "loss")
    elif not monitor_ok(metric, given.get("metric", where)):
        return None
    direction = s.get("direction", "auto")
    if direction == "auto":
        direction = "maximize" if monitors.get(metric, False) else "minimize"
    method = s.get("method", "tpe")
    points = math.prod(d.size() for d in space)
    if method == "grid":
        endless = [d for d in space if not d.finite]
        for d in endless:
            ctx.error(d.span, "E201", f"{d.name}: a grid needs finitely many values; "
                      f"{d.kind}(...) has infinitely many",
                      "list them with `choice(...)` or use `int(low, high, step)`; or choose "
                      "`method = random` or `tpe`")
        if endless:
            return None
    trials = s.get("trials")
    if trials is None:
        trials = int(points) if method == "grid" else DEFAULT_TRIALS
    elif method == "grid" and trials > points:
        ctx.error(given.get("trials", where), "E202", f"search: trials = {trials}, but the grid "
                  f"has {int(points)} points, each tried once", f"write `trials = {int(points)}` "
                  "or leave it out")
        return None
    return SearchSpec(method, trials, s.get("timeout"), metric, direction,
                      s.get("pruner", "none"), s.get("workers", 1), s.get("storage", ""),
                      s.get("seed", 0), s.get("batch_trials", "auto"),
                      st.span if st is not None else Span.unknown(ctx.file))
