"""Top level of a recipe: sections, settings, data/train keys, loss/optimizer/schedule/metrics."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .. import catalog
from ..augments import AUGMENTS
from ..diagnostics import Span
from ..metrics import MetricDef
from ..options import Opt
from ..schedules import too_long
from ..recipe import Call, DataSpec, EarlyStopSpec, ModelSpec, Recipe, TrainSpec
from ..suggest import hint
from ..syntax import ast
from ..tasks import Task
from .memory import check_memory
from .model import check_model
from .distill import check_distill
from .prune import check_prune
from .quantize import check_quantize
from .search import check_search
from .values import MISSING, Ctx, check_choice, check_value, option_span

REQUIRED = ("data", "model", "train", "loss", "optimizer")
# what an empty section's help suggests
_EXAMPLES = {"data": "data { source = digits() }", "train": "train { epochs = 10  batch = 32 }"}


def check_ast(ctx: Ctx, file: ast.File, text: str) -> Recipe | None:
    """Check a parsed file; returns None when anything was reported to `ctx`."""
    start = Span(ctx.file, 1, 1, 1, 1)
    found = _top_level(ctx, file)
    for key in REQUIRED:
        if key not in found:
            what = f"section `{key} {{ ... }}`" if key in catalog.SECTIONS else f"`{key} = ...`"
            ctx.error(start, "E106", f"missing {what}")
    data = _data(ctx, found["data"]) if "data" in found else None
    train = _train(ctx, found["train"]) if "train" in found else None
    model, out = None, None
    if "model" in found:
        body = _section_body(ctx, found["model"])
        if body is not None:
            model, out = check_model(ctx, found["model"], body)
    loss = _choice(ctx, found, "loss", catalog.LOSSES)
    optimizer = _choice(ctx, found, "optimizer", catalog.OPTIMIZERS)
    schedule = (_choice(ctx, found, "schedule", catalog.SCHEDULES) if "schedule" in found
                else Call("constant", {}, start))
    metrics = _metrics(ctx, found.get("metrics"), loss, out)
    if loss is not None and out is not None:
        _loss_output(ctx, loss, out)
    if loss is not None and model is not None:
        _applied_by_loss(ctx, loss, model)
    if data is not None and model is not None:
        _augment_input(ctx, data, model.input_shape, found["data"])
    if model is not None:
        check_memory(ctx, model, optimizer, train.batch if train is not None else None)
    if schedule is not None and train is not None:
        _schedule_fits_run(ctx, schedule, train)
    early_stop = search = None
    if loss is not None and metrics is not None and data is not None:
        monitors = available_monitors(catalog.LOSSES[loss.kind].task, metrics)
        if "early_stop" in found:
            early_stop = _early_stop(ctx, found["early_stop"], monitors, data)
        if schedule is not None:
            for call in _nested_schedules(schedule):
                if "monitor" in call.options:
                    _monitor(ctx, call.options["monitor"], call.span, monitors, data,
                             call.kind)
        if train is not None:
            train = _keep_best(ctx, train, found["train"], monitors, data, early_stop)
        st = found.get("search")
        keyed = _keyed(ctx, st, catalog.SEARCH_KEYS, {}) if st is not None else None
        search = check_search(ctx, st, keyed, ctx.space, monitors, data, early_stop,
                              lambda name, span: _monitor(ctx, name, span, monitors, data,
                                                          "search"))
    regularize = _keyed(ctx, found["regularize"], catalog.REGULARIZE_KEYS, {}) \
        if "regularize" in found else None
    clip = _choice(ctx, found, "clip", catalog.CLIPS)
    prune = None
    if "prune" in found and model is not None:
        st = found["prune"]
        keyed = _keyed(ctx, st, catalog.PRUNE_KEYS, {"schedule": catalog.PRUNE_SCHEDULES})
        if keyed is not None:
            prune = check_prune(ctx, st, keyed, model.layers)
        if "search" in found or ctx.space:
            ctx.error(st.name_span, "E201", "prune: a search trial trains without the "
                      "prune phase, so its score would not be the pruned model's",
                      "search the recipe without `prune`, then prune the chosen point with "
                      "`recipec run`")
    distill = None
    if "distill" in found and model is not None:
        st = found["distill"]
        keyed = _keyed(ctx, st, catalog.DISTILL_KEYS, {"teacher": catalog.DISTILL_TEACHERS})
        if keyed is not None:
            distill = check_distill(ctx, st, keyed, loss, model,
                                    "search" in found or bool(ctx.space))
    quantize = None
    if "quantize" in found and model is not None:
        st = found["quantize"]
        keyed = _keyed(ctx, st, catalog.QUANTIZE_KEYS, {})
        if keyed is not None:
            quantize = check_quantize(ctx, st, keyed, model.layers,
                                      "search" in found or bool(ctx.space),
                                      prune is not None and prune.method == "l1_filters")
    if ctx.diagnostics:
        return None
    return Recipe(name=file.name or Path(ctx.file).stem, path=ctx.file, data=data, model=model,
                  loss=loss, optimizer=optimizer, schedule=schedule, train=train,
                  metrics=metrics, source=text, early_stop=early_stop,
                  regularize=regularize, clip=clip, space=tuple(sorted(ctx.space, key=lambda d: (d.span.line, d.span.col))),
                  search=search, prune=prune, distill=distill, quantize=quantize)


def available_monitors(task: Task, metrics: tuple[Call, ...]) -> dict[str, bool]:
    """What a monitor may name -> whether higher is better: the epoch's training `loss` (and
    `accuracy` where the task counts correct rows), and `val_` + every value the validation
    evaluation reports."""
    out = {"loss": False}
    if task.counts_correct:
        out["accuracy"] = True
    out["val_loss"] = False
    for call in metrics:
        metric = catalog.METRICS[call.kind]
        if metric.formula is not None and call.kind != "loss":
            out["val_" + metric.key(dict(call.options))] = metric.higher_is_better
    return out


def _monitor(ctx: Ctx, name: str, span: Span, monitors: dict[str, bool], data: DataSpec,
             owner: str) -> bool:
    if name not in monitors:
        known = ", ".join(f"`{m}`" for m in monitors)
        ctx.error(span, "E104", f"{owner}: unknown monitor `{name}` (this recipe reports "
                  f"{known})", hint(name, monitors))
        return False
    if name.startswith("val_") and not data.validation > 0:
        ctx.error(span, "E305", f"{owner}: monitor `{name}` needs a validation split",
                  "add `validation = 0.2` to the data block, or monitor `loss`")
        return False
    return True


def _early_stop(ctx: Ctx, st: ast.Stmt, monitors: dict[str, bool], data: DataSpec):
    e = _keyed(ctx, st, catalog.EARLY_STOP_KEYS, {})
    if e is None:
        return None
    given = {item.key: item.value.span for item in st.body or () if isinstance(item, ast.Assign)}
    if not _monitor(ctx, e["monitor"], given.get("monitor", st.name_span), monitors, data,
                    "early_stop"):
        return None
    mode = e["mode"] if e["mode"] != "auto" else ("max" if monitors[e["monitor"]] else "min")
    return EarlyStopSpec(e["monitor"], mode, e["patience"], e["min_delta"],
                         e["restore_best"], st.span)


def _keep_best(ctx: Ctx, train: TrainSpec, st: ast.Stmt, monitors: dict[str, bool],
               data: DataSpec, early_stop) -> TrainSpec:
    """`keep_best`: a monitor, resolved from `auto` (early stopping's monitor, else val_loss
    when there is a validation split, else none: a training loss is no measure of the best
    model) and checked like early stopping's."""
    name = train.keep_best
    if name == "none" or (name == "auto" and early_stop is None and not data.validation > 0):
        return replace(train, keep_best=None)
    if name == "auto":
        name = early_stop.monitor if early_stop is not None else "val_loss"
    else:
        span = next((item.value.span for item in st.body or ()
                     if isinstance(item, ast.Assign) and item.key == "keep_best"), st.name_span)
        if not _monitor(ctx, name, span, monitors, data, "keep_best"):
            return train
    return replace(train, keep_best=name, keep_best_mode="max" if monitors[name] else "min")


def _nested_schedules(schedule: Call):
    yield schedule
    for value in schedule.options.values():
        if isinstance(value, Call):
            yield from _nested_schedules(value)


def _schedule_fits_run(ctx: Ctx, schedule: Call, train) -> None:
    """A warmup as long as the run never reaches its schedule; durations in the other unit
    are compared once the data gives steps per epoch (runtime/data/check.py)."""
    found = too_long(schedule, None, train)
    if found is not None:
        option, d = found
        run = f"{train.epochs} epochs" if train.epochs is not None else f"{train.steps} steps"
        ctx.error(schedule.span, "E202", f"{schedule.kind}: a {option} of {d} is not shorter "
                  f"than the run ({run})", "shorten it, or train longer")


def _top_level(ctx: Ctx, file: ast.File) -> dict:
    found: dict = {}
    for st in file.body:
        key, span = (st.name, st.name_span) if isinstance(st, ast.Stmt) else (st.key, st.key_span)
        is_section = isinstance(st, ast.Stmt)
        known = catalog.SECTIONS if is_section else catalog.ASSIGNMENTS
        if key not in known:
            if key in catalog.ASSIGNMENTS:
                ctx.error(span, "E101", f"`{key}` is a setting, not a section",
                          f"write `{key} = ...`")
            elif key in catalog.SECTIONS:
                ctx.error(span, "E101", f"`{key}` is a section, not a setting",
                          f"write `{key} {{ ... }}`")
            else:
                kind = "section" if is_section else "setting"
                ctx.error(span, "E101", f"unknown {kind} `{key}`",
                          hint(key, catalog.SECTIONS + catalog.ASSIGNMENTS))
            continue
        if key in found:
            ctx.error(span, "E105", f"duplicate `{key}` (first given at line "
                      f"{_span(found[key]).line})")
            continue
        found[key] = st
    return found


def _span(st) -> Span:
    return st.name_span if isinstance(st, ast.Stmt) else st.key_span


def _section_body(ctx: Ctx, st: ast.Stmt) -> tuple | None:
    if st.args is not None or st.shape is not None:
        ctx.error(st.name_span, "E201", f"section `{st.name}` takes no arguments",
                  f"write `{st.name} {{ ... }}`")
    if st.body is None:
        ctx.error(st.name_span, "E201", f"section `{st.name}` needs a `{{ ... }}` block")
    return st.body


def _empty_section(ctx: Ctx, st: ast.Stmt, keys: tuple[Opt, ...]) -> None:
    """E107 at the `{ }`: an empty section says nothing, yet data needs a source and train
    a length, so it is refused where it is written rather than as a missing key."""
    needs = [f"`{o.name} = ...`" for o in keys if o.required]
    if st.name == "train":
        needs = ["`epochs = N` or `steps = N`"]
    example = _EXAMPLES.get(st.name)
    ctx.error(st.body_span or st.name_span, "E107", f"empty `{st.name} {{ }}`"
              + (f": it needs {' and '.join(needs)}" if needs else ""),
              f"e.g. `{example}`" if example else None)


def _keyed(ctx: Ctx, st: ast.Stmt, keys: tuple[Opt, ...], tables: dict) -> dict | None:
    """A `{ key = value ... }` section checked against `keys`; None if anything failed."""
    body = _section_body(ctx, st)
    if body is None:
        return None
    if not body:
        _empty_section(ctx, st, keys)
        return None
    by_name = {o.name: o for o in keys}
    given: dict = {}
    ok = True
    for item in body:
        if isinstance(item, ast.Stmt):
            h = f"write `{item.name} = ...`" if item.name in by_name else hint(item.name, by_name)
            ctx.error(item.name_span, "E101",
                      f"unexpected `{item.name}` in {st.name}: expected `key = value`", h)
            ok = False
        elif item.key not in by_name:
            ctx.error(item.key_span, "E101", f"unknown {st.name} key `{item.key}`",
                      hint(item.key, by_name))
            ok = False
        elif item.key in given:
            ctx.error(item.key_span, "E105", f"duplicate {st.name} key `{item.key}`")
        else:
            opt = by_name[item.key]
            with ctx.at(st.name, item.key):
                given[item.key] = check_value(ctx, item.value, opt, item.key,
                                              tables.get(item.key))
            ok = ok and given[item.key] is not MISSING
    out = {}
    for opt in keys:
        if opt.name in given:
            out[opt.name] = given[opt.name]
        elif opt.required:
            ctx.error(st.name_span, "E106", f"{st.name} is missing `{opt.name} = ...`")
            ok = False
        else:
            out[opt.name] = opt.default
    return out if ok else None


def _data(ctx: Ctx, st: ast.Stmt) -> DataSpec | None:
    d = _keyed(ctx, st, catalog.DATA_KEYS, {"source": catalog.SOURCES,
                                             "test": catalog.SOURCES,
                                             "augment": catalog.AUGMENTS,
                                             "validation": catalog.VALIDATION_CALLS,
                                             "impute": catalog.IMPUTE,
                                             "outliers": catalog.OUTLIERS})
    if d is not None:
        for call in d["augment"]:
            if call.kind == "flip" and not (call["horizontal"] or call["vertical"]):
                ctx.error(call.span, "E202", "flip with horizontal = false and vertical = "
                          "false does nothing", "enable an axis or remove `flip`")
    if d is None:
        return None
    # the runtime's data check points its errors at these (runtime/data/check.py)
    given = tuple((item.key, item.value.span) for item in st.body or ()
                  if isinstance(item, ast.Assign))
    folds = None
    if isinstance(d["validation"], Call):             # kfold(k): each fold is 1/k held out
        folds = d["validation"]["k"]
        d["validation"] = 1.0 / folds
    return DataSpec(d["source"], d["normalize"], d["validation"], d["shuffle"], st.span,
                    folds=folds,
                    test=d["test"], scale=d["scale"], augment=d["augment"],
                    reshape=d["reshape"], layout=d["layout"], memory=d["memory"],
                    impute=_unless_none(d["impute"]), outliers=_unless_none(d["outliers"]),
                    split_seed=d["split_seed"], key_spans=given)


def _unless_none(call):
    """`impute = none` is the same as leaving the key out."""
    return None if call is None or call.kind == "none" else call


def _augment_input(ctx: Ctx, data: DataSpec, input_shape: tuple[int, ...],
                   data_stmt: ast.Stmt) -> None:
    """Image transforms need a per-sample input [C, H, W]; noise takes any shape. Then each
    augmentation's own `fits` check of its magnitudes against that shape (a shift as large
    as the image), reported at the option's value."""
    written = _augment_items(data_stmt)
    for i, call in enumerate(data.augment):
        if call.kind in catalog.IMAGE_AUGMENTS and len(input_shape) != 3:
            ctx.error(call.span, "E305", f"augment `{call.kind}` needs an image input "
                      f"[C, H, W]; the model input is {list(input_shape)}",
                      "use it with e.g. `input [1, 28, 28]`, or use `noise(std)`, which "
                      "works for any input")
            continue
        row = AUGMENTS[call.kind]
        problem = row.fits(call, input_shape)
        if problem is not None:
            option, message, help_text = problem
            item = written[i] if i < len(written) else None
            args = item.args if isinstance(item, ast.Call) else ()
            ctx.error(option_span(args, row.opts, option, call.span), "E305", message, help_text)


def _augment_items(data_stmt: ast.Stmt) -> tuple:
    """The augment entries as written (the first `augment = ...`, the one the check used)."""
    assign = next((a for a in data_stmt.body or () if isinstance(a, ast.Assign)
                   and a.key == "augment"), None)
    if assign is None:
        return ()
    return assign.value.items if isinstance(assign.value, ast.List) else (assign.value,)


def _applied_by_loss(ctx: Ctx, loss: Call, model: ModelSpec) -> None:
    """E306: the model ends in the activation its loss applies itself (softmax before
    cross_entropy, which takes logits): training would apply it twice."""
    activation = catalog.LOSSES[loss.kind].logits_of
    # dropout is the identity at prediction: `softmax dropout(0.1)` still ends in softmax
    last = next((l for l in reversed(model.layers) if l.kind != "dropout"), None)
    if activation is None or last is None or last.kind != activation:
        return
    ctx.error(last.span, "E306", f"the model ends in `{activation}`, but {loss.kind} takes "
              f"logits and applies {activation} itself: {activation} would be applied twice",
              f"remove this `{activation}`: {loss.kind} applies {activation} itself, and "
              "predict() already returns probabilities")


def _train(ctx: Ctx, st: ast.Stmt) -> TrainSpec | None:
    t = _keyed(ctx, st, catalog.TRAIN_KEYS, {})
    if t is None:
        return None
    if (t["epochs"] is None) == (t["steps"] is None):
        ctx.error(st.name_span, "E106" if t["epochs"] is None else "E105",
                  "train needs exactly one of `epochs = N` or `steps = N`",
                  "`steps` counts optimizer updates (Caffe's max_iter); `epochs` passes over the data")
        return None
    return TrainSpec(t["epochs"], t["batch"], t["seed"], st.span, steps=t["steps"],
                     checkpoint=t["checkpoint"], keep=t["keep"], keep_best=t["keep_best"],
                     target=t["target"])


def _choice(ctx: Ctx, found: dict, key: str, table: dict) -> Call | None:
    st = found.get(key)
    if st is None:
        return None
    with ctx.at(key):
        return check_choice(ctx, st.value, table, key)


def _metrics(ctx: Ctx, st: ast.Assign | None, loss: Call | None,
             out: tuple[int, ...] | None) -> tuple[Call, ...]:
    """`metrics = [accuracy, top_k(5), f1(average = weighted)]` -> checked calls; without
    the line, the task's defaults."""
    task = catalog.LOSSES[loss.kind].task if loss is not None else None
    table = {name: m.choice for name, m in catalog.METRICS.items()}
    if st is None:
        names = task.default_metrics if task is not None else ()
        return tuple(Call(n, {o.name: o.default for o in catalog.METRICS[n].opts},
                          Span.unknown()) for n in names)
    items = st.value.items if isinstance(st.value, ast.List) else (st.value,)
    calls: list[Call] = []
    keys: list[str] = []
    for item in items:
        if not isinstance(item, (ast.Name, ast.Call)):
            ctx.error(item.span, "E201", f"metrics: expected a metric name such as "
                      f"`accuracy`, got {ast.describe(item)}")
            continue
        call = check_choice(ctx, item, table, "metric")
        if call is None:
            continue
        metric = catalog.METRICS[call.kind]
        key = metric.key(dict(call.options))
        if key in keys:
            ctx.error(item.span, "E105", f"metric `{key}` listed twice")
            continue
        if task is not None and not metric.applies(task):
            _metric_task(ctx, item, metric, loss.kind, task)
        elif out is not None and metric.check_output is not None and \
                (why := metric.check_output(out)) is not None:
            ctx.error(item.span, "E304", why)
        keys.append(key)
        calls.append(call)
    return tuple(calls)


def _metric_task(ctx: Ctx, item: ast.Value, metric: MetricDef, loss_name: str,
                 task: Task) -> None:
    """E304: the metric means nothing for the task the loss implies (accuracy of an mse fit)."""
    needs = " or ".join(n for n, d in catalog.LOSSES.items() if metric.applies(d.task))
    fits = [f"`{n}`" for n, m in catalog.METRICS.items() if m.tasks and m.applies(task)]
    ctx.error(item.span, "E304", f"metric `{metric.name}` needs loss = {needs} (the loss is "
              f"{loss_name})", f"use {' or '.join(fits)} for {task.name}" if fits else None)


def _loss_output(ctx: Ctx, loss: Call, out: tuple[int, ...]) -> None:
    problem = catalog.LOSSES[loss.kind].check_output(out, loss.options)
    if problem is not None:
        message, help_text = problem
        ctx.error(loss.span, "E303", message, help_text)
