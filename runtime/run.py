"""`recipec run`: read and check the data, compile, train, evaluate, report; with
`validation = kfold(k)`, one training per fold (or the one `--fold i` names) and the folds'
mean and standard deviation of every metric."""
from __future__ import annotations

import contextlib
import statistics
import sys
import time


def run_command(args) -> int:
    import recipec
    from .report import unwritable_reason, write_json_atomic

    # an output path that cannot work is found now, not after the training
    if args.report and (why := unwritable_reason(args.report)):
        print(f"recipec: error: --report {args.report}: {why}", file=sys.stderr)
        return 2
    recipe = recipec.load(args.file, args.set)
    if recipe.space:
        first = recipe.space[0]
        print(f"recipec: error: {args.file} has a search space ({len(recipe.space)} "
              f"value{'s' if len(recipe.space) > 1 else ''} to choose: "
              f"{', '.join(d.name for d in recipe.space)}): explore it with `recipec search "
              f"{args.file}`, or give each a value, e.g. `--set {first.name}="
              f"{first.first_text()}`", file=sys.stderr)
        return 2
    if getattr(args, "mlflow", None):
        from .mlflow_log import missing_reason
        if why := missing_reason():
            print(f"recipec: error: --mlflow: {why}", file=sys.stderr)
            return 2
    from .store.recorder import check_store
    check_store(args)            # a store that cannot be written: R001-R003 before the model's
    if why := _model_folder_problem(_model_folder(recipe, args, None)):
        print(f"recipec: error: {why}", file=sys.stderr)
        return 2
    folds = recipe.data.folds
    fold = getattr(args, "fold", None)          # 1-based, as the folds are printed
    if fold is not None and (folds is None or not 1 <= fold <= folds):
        why = (f"the recipe's validation is kfold({folds}): folds are 1 to {folds}"
               if folds else "the recipe has no `validation = kfold(k)`")
        print(f"recipec: error: --fold {fold}: {why}", file=sys.stderr)
        return 2
    if folds is not None and (getattr(args, "resume", None) is not None or
                              getattr(args, "checkpoints", None)):
        print("recipec: error: checkpoints and --resume are for single runs; a kfold recipe "
              "trains each fold from scratch", file=sys.stderr)
        return 2
    if folds is None or fold is not None:
        payload = train_once(recipe, args, None if fold is None else fold - 1)
    else:
        payload = cross_validate(recipe, args, folds)
    if args.report:
        try:
            write_json_atomic(args.report, payload)
        except OSError as err:       # the folder changed during the training (full, removed)
            print(f"recipec: error: --report {args.report}: {err}", file=sys.stderr)
            return 2
    return 0


def cross_validate(recipe, args, folds: int) -> dict:
    """One training per fold, each from the same initial state (the kernels compile once);
    prints and returns every fold's final metrics and their mean and standard deviation."""
    runs = []
    for fold in range(folds):
        if not args.quiet:
            print(f"fold {fold + 1}/{folds}", file=sys.stderr)
        runs.append(train_once(recipe, args, fold, prefix=f"fold {fold + 1}: ",
                               kfold_first=runs[0]["run_id"] if runs else None))
    summary = {}
    for split in runs[0]["final"]:
        summary[split] = {}
        for key in runs[0]["final"][split]:
            values = [r["final"][split][key] for r in runs]
            summary[split][key] = {"mean": statistics.fmean(values),
                                   "std": statistics.pstdev(values), "folds": values}
    for split, metrics in summary.items():
        print(f"{folds}-fold {split}: " + "  ".join(
            f"{k} {m['mean']:.4f} ± {m['std']:.4f}" for k, m in metrics.items()))
    return {"recipe": recipe.name, "path": recipe.path, "folds": folds,
            "cross_validation": summary, "runs": runs}


def train_once(recipe, args, fold: int | None, prefix: str = "",
               kfold_first: int | None = None) -> dict:
    """One training, recorded in the run store (runtime/store/; a kfold recipe's folds one
    row each, `kfold_first` the first fold's row): its report."""
    from .store.recorder import Recorder

    with Recorder.open(recipe, args, fold, kfold_first) as record, \
            _mlflow(recipe, args, record, fold) as tracker:
        report = _train(recipe, args, fold, prefix, record, tracker)
        if tracker is not None:
            tracker.close("finished", report.get("final"), model=report.get("model"),
                          report=report)
        return record.finish(report)


@contextlib.contextmanager
def _mlflow(recipe, args, record, fold: int | None):
    """With --mlflow URI: the run logged to MLflow as well (runtime/mlflow_log.py), closed as
    the run store's row is (failed, diverged, interrupted) when the training ends early."""
    uri = getattr(args, "mlflow", None)
    if not uri:
        yield None
        return
    from .mlflow_log import MlflowLogger
    from .store.flat import flat
    from .store.recorder import status_of

    name = recipe.name + (f" run {record.id}" if record.id is not None else "") + \
        (f" fold {fold + 1}" if fold is not None else "")
    tags = {"recipec.recipe": recipe.name, "recipec.overrides": " ".join(args.set)}
    if record.id is not None:
        tags["recipec.run_id"] = str(record.id)
    logger = MlflowLogger(uri, getattr(args, "mlflow_experiment", None) or recipe.name, name,
                          flat(recipe), recipe.source, tags)
    try:
        yield logger
    except BaseException as err:
        logger.close(status_of(err)[0])
        raise


def _train(recipe, args, fold: int | None, prefix: str, record, tracker=None) -> dict:
    """Read and check the data (fold `fold` held out), compile, train and evaluate; prints the
    final metrics and returns the run's report."""
    import recipec
    from .errors import TrainingDiverged
    from .program import Interrupted
    from .progress import ProgressLine
    from .report import run_report
    from .class_weights import class_weights_of

    start = time.perf_counter()
    with _reading(data_label(recipe), quiet=args.quiet):
        # before any kernel: bad data costs no compile
        data = recipec.check_data(recipe, cache=not args.no_data_cache, fold=fold)
    loading = {"data_seconds": time.perf_counter() - start, "data_peak_rss_mib": _peak_mib()}
    if not args.quiet:
        rows = sum(len(part) for part in (data.train, data.validation, data.test)
                   if part is not None)
        print(f"{data.source}: {rows:,} samples read and checked in "
              f"{loading['data_seconds']:.2f} s (peak memory {loading['data_peak_rss_mib']:,.0f} "
              f"MiB)", file=sys.stderr)
        for note in data.notes:                # rows left out by impute/outliers = drop
            print(f"{data.source}: {note}", file=sys.stderr)
        if data.streamed:
            from ..compiler.check.memory import size_text
            print(f"{data.source}: the prepared data ({size_text(data.prepared_bytes)}) "
                  f"exceeds the memory budget ({size_text(data.memory_budget)}, "
                  f"`data {{ memory = ... }}`): training reads it from disk, a chunk at a time",
                  file=sys.stderr)
    # from the checked recipe to loaded kernels: generating and importing the module counts
    start = time.perf_counter()
    program = recipec.compile(recipe, data=data)
    if program.transferred is not None and not args.quiet:
        from .transfer import describe
        print(f"init: {describe(*program.transferred)}", file=sys.stderr)
    weights = class_weights_of(program.graphs)
    if weights is not None and not args.quiet:
        how = " (balanced, from the training labels)" if \
            program.graphs.loss_options["class_weights"] == "balanced" else ""
        print(f"{recipe.loss.kind}: class weights{how} " + ", ".join(
            f"{name} {w:.4g}" for name, w in zip(
                program.data.class_names or range(len(weights)), weights)), file=sys.stderr)
    distilled = _teacher(program, args) if recipe.distill is not None else None
    program.warm_up()
    seconds = time.perf_counter() - start
    if not args.quiet:
        print(f"{recipe.name}: {recipe.model.params:,} parameters; kernels ready in "
              f"{seconds:.2f} s", file=sys.stderr)
    checkpointer = _checkpointer(recipe, args, record.id)
    steps = None
    if checkpointer is not None:
        from .errors import CheckpointError
        from .report import unwritable_reason
        if why := unwritable_reason(checkpointer.folder / "step-000000000000.safetensors"):
            raise CheckpointError(f"{checkpointer.folder}: checkpoints cannot be written "
                                  f"there: {why}", "C004")
        if checkpointer.every is not None:          # `2 epochs` -> steps, now data is known
            checkpointer.every = checkpointer.every.in_steps(program.steps_per_epoch)
        program.checkpointer = checkpointer
        if getattr(args, "resume", None) is not None:
            steps = _resume(program, recipe, args, checkpointer)
    record.checkpoints(checkpointer)
    with _stop_on_signals(program):
        try:
            from .listeners import one_or_fanout
            progress = record.progress(one_or_fanout(None if args.quiet else ProgressLine(),
                                                     tracker))
            history = program.fit(progress=progress, steps=steps) if steps != 0 \
                else _nothing_left()
            pruned = None
            if recipe.prune is not None:
                pruned = _prune(program, history, progress, args)
        except TrainingDiverged as err:
            if checkpointer is not None and checkpointer.last_path is not None:
                err.hint += (f"; the last good checkpoint is {checkpointer.last_path} (step "
                             f"{checkpointer.last_step}, kept as it was): resume from it with "
                             f"`--resume {checkpointer.last_path}` after the change, and "
                             f"`--force` if the change is to the recipe")
            raise
        except Interrupted as stop:
            print(f"interrupted at step {program.state.step}; checkpoint {stop.checkpoint}; "
                  f"continue with `recipec run {args.file} --resume`", file=sys.stderr)
            raise SystemExit(130)
    if checkpointer is not None:
        path = checkpointer.write(program, finished=True)
        if not args.quiet:
            print(f"checkpoint {path} ({checkpointer.seconds * 1000:.0f} ms)",
                  file=sys.stderr)
            if checkpointer.best_epoch is not None:
                print(f"best checkpoint {checkpointer.folder / 'best.safetensors'}: epoch "
                      f"{checkpointer.best_epoch}, {checkpointer.best_monitor} "
                      f"{checkpointer.best_value:.4f}", file=sys.stderr)
    if not args.quiet:
        for line in stopping_lines(program, history):
            print(line, file=sys.stderr)
    final = {}
    for split in ("validation", "test"):
        if getattr(program.data, split) is not None:
            final[split] = program.evaluate(split)
    final["train"] = program.evaluate("train")
    for split, metrics in final.items():
        print(f"{prefix}{split}: " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    details = {split: program.metric_details(split) for split in final}
    shown = "test" if "test" in final else "validation" if "validation" in final else "train"
    if "confusion" in details[shown]:
        print(confusion_table(details[shown]["confusion"], program.data.class_names, shown))
    report = run_report(program, history, final, loading, details)
    if pruned is not None:
        report["prune"] = pruned
    if distilled is not None:
        report["distill"] = distilled
    int8 = None
    if recipe.quantize is not None:
        report["quantize"], int8 = _quantize(program, final, args)
    from .model import save_model
    overrides, tensors = tuple(args.set), None
    if recipe.prune is not None and recipe.prune.method == "l1_filters":
        overrides, tensors = _shrunk(program, overrides, pruned, args)
    model = save_model(program, _model_folder(recipe, args, fold, record.id), overrides,
                       fold, tensors, int8)
    if not args.quiet:
        print(f"{prefix}model {model} (use it: recipec eval {model}; recipec predict {model} "
              f"INPUT.csv -o out.csv)", file=sys.stderr)
    report["model"] = str(model)
    if weights is not None:
        report["class_weights"] = list(weights)
    if fold is not None:
        report["fold"] = fold + 1
    report["run_id"] = record.id          # None with --no-store
    if record.id is not None and not getattr(args, "model", None):
        # the run's folder keeps its report too: `recipec plot RUN-ID` reads it
        from .report import write_json_atomic
        write_json_atomic(model.parent / "report.json", report)
    return report


def _quantize(program, final: dict, args) -> dict:
    """The int8 model beside the float32 one (runtime/quantize.py), on the split the run
    reports last (test, else validation, else train): metrics, agreement and speed."""
    from .quantize import quantize_phase

    split = "test" if "test" in final else "validation" if "validation" in final else "train"
    out, tensors = quantize_phase(program, split)
    if not args.quiet:
        how = "per channel" if out["per_channel"] else "per tensor"
        print(f"quantize: int8 ({how}) of {', '.join(out['layers'])}, input scales from "
              f"{out['calibration_rows']} training rows", file=sys.stderr)
    f32, i8 = out["float32"], out["int8"]
    print(f"{split} int8: " + "  ".join(f"{k} {v:.4f}" for k, v in i8.items())
          + f"  (float32 {'  '.join(f'{k} {v:.4f}' for k, v in f32.items())}; the same "
          f"class on {100 * out['agreement']:.2f} % of rows)")
    rate = out["samples_per_second"]
    print(f"{split} inference: int8 {rate['int8']:,.0f} rows/s, float32 {rate['float32']:,.0f} "
          f"rows/s ({rate['int8'] / rate['float32']:.2f}x; batch 256, best of 3); quantised "
          f"weights {out['weight_bytes']['int8']:,} bytes against "
          f"{out['weight_bytes']['float32']:,}")
    return out, tensors


def _teacher(program, args) -> dict:
    """Load (or train) the distillation teacher before the student's kernels; says which,
    and how well it does on the training split, whose soft targets it gives."""
    spec = program.recipe.distill
    if not args.quiet:
        program.on_teacher_train = lambda path: print(
            f"distill: training the teacher {path} first", file=sys.stderr)
    teacher = program.distill_teacher()
    accuracy = teacher.agreement(program.data.train, program.data)
    if not args.quiet:
        print(f"distill: teacher {teacher.description}: accuracy {accuracy:.4f} on the "
              f"training split; temperature {spec.temperature:g}, alpha {spec.alpha:g}",
              file=sys.stderr)
    return {"teacher": teacher.description, "teacher_train_accuracy": accuracy,
            "temperature": spec.temperature, "alpha": spec.alpha}


def _prune(program, history, progress, args) -> dict:
    """The prune phase after the training (runtime/prune.py): its epochs join `history`;
    returns its report (masks, sparsity per layer, metrics before and after)."""
    from .prune import run_phase

    def evaluate():
        splits = [s for s in ("validation", "test") if getattr(program.data, s) is not None]
        return {s: program.evaluate(s) for s in splits or ["train"]}

    say = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    phase, report = run_phase(program, progress, say, evaluate)
    if history.epochs and phase.epochs and phase.epochs[0].epoch == history.epochs[-1].epoch:
        # the epoch the training stopped in part way, finished by the phase: one record
        # (the later one's metrics cover the whole epoch: fit carries its running sums)
        first, last = phase.epochs[0], history.epochs.pop()
        first.steps += last.steps
        first.seconds += last.seconds
    history.epochs += phase.epochs
    history.train_seconds += phase.train_seconds
    history.steps += phase.steps
    return report


def _shrunk(program, overrides: tuple, pruned: dict, args):
    """An l1_filters model without its removed units (runtime/prune_shrink.py): the
    overrides that give its shapes and its tensors; the report's prune part says how."""
    import math
    from .prune_shrink import shrink

    graphs = program.graphs
    state = program.executable.state()
    tensors = {t.name: state[t.name] for t in (*graphs.params, *graphs.stats)}
    extra, smaller, notes = shrink(program, tensors)
    params = {p.name for p in graphs.params}
    before = sum(math.prod(tensors[n].shape) for n in params)
    after = sum(math.prod(smaller[n].shape) for n in params)
    pruned["shrunk"] = {"overrides": extra, "notes": notes, "parameters": [before, after]}
    if not args.quiet:
        for note in notes:
            print(f"prune: {note}", file=sys.stderr)
        print(f"prune: the saved model has {after:,} parameters ({before:,} before)",
              file=sys.stderr)
    return overrides + tuple(extra), smaller if extra else None


def _model_folder(recipe, args, fold: int | None, run: int | None = None):
    """Where the run's model goes: --model DIR, else the run's own folder in the runs folder,
    <runs>/<recipe>/run-<id>/model (beside its report.json), so a later run never replaces
    an earlier run's model; without a run id (--no-store) <runs>/<recipe>/model
    (model-fold<i> for one fold of a kfold recipe)."""
    from pathlib import Path
    from .store.refs import run_folder

    if getattr(args, "model", None):
        folder = Path(args.model)
    elif run is not None:
        return run_folder(getattr(args, "runs", None), recipe.name, run) / "model"
    else:
        from .store.db import folder_of
        folder = Path(folder_of(getattr(args, "runs", None))) / recipe.name / "model"
    return folder if fold is None else folder.with_name(f"{folder.name}-fold{fold + 1}")


def _model_folder_problem(folder) -> str | None:
    """Why the model could not be written into `folder` (None: it can), found before any
    training: a file there, a folder of other files, or no file can be created."""
    from .model.artifact import MANIFEST
    from .report import unwritable_reason

    if folder.is_file():
        return f"--model {folder}: is a file; the model is a folder"
    if folder.is_dir() and not (folder / MANIFEST).exists() and any(folder.iterdir()):
        return (f"--model {folder}: the folder holds files that are not a recipec model; "
                f"give a new or a model's folder")
    why = unwritable_reason(folder / MANIFEST)
    return f"--model {folder}: {why}" if why else None


def _checkpoint_folder(recipe, args, run: int | None):
    """A new run's checkpoints: in its own folder, <runs>/<recipe>/run-<id>/checkpoints (a
    later run of the recipe never mixes its files with these); <runs>/<recipe>/checkpoints
    without a run id (--no-store)."""
    from pathlib import Path
    from .store.db import folder_of
    from .store.refs import run_folder

    if run is not None:
        return run_folder(getattr(args, "runs", None), recipe.name, run) / "checkpoints"
    return Path(folder_of(getattr(args, "runs", None))) / recipe.name / "checkpoints"


def _resume_folder(recipe, args):
    """What `--resume [PATH|RUN]` continues: a checkpoint file or folder; a run's
    checkpoints (its id, `last`, `last-N`); with neither, the newest run of this recipe in
    the store that left a checkpoint (else <runs>/<recipe>/checkpoints, the --no-store
    place). Its folder takes the checkpoints that follow."""
    from pathlib import Path
    from . import checkpoint
    from .errors import CheckpointError
    from .store.db import Store, folder_of
    from .store.refs import find_run, run_ref

    if args.resume:
        if Path(args.resume).exists() or run_ref(args.resume) is None:
            return args.resume
        row = find_run(args.resume, getattr(args, "runs", None))
        if not row.get("checkpoints"):
            raise CheckpointError(f"run {row['id']} ({row['recipe']}) wrote no checkpoints",
                                  "C001", hint="a run writes them with `train { checkpoint "
                                               "= ... }` or --checkpoints DIR")
        return row["checkpoints"]
    if not getattr(args, "no_store", False):
        store = Store.open(folder_of(getattr(args, "runs", None)), create=False)
        if store is not None:
            try:
                rows = store.read("SELECT checkpoints FROM runs WHERE recipe = ? AND "
                                  "checkpoints IS NOT NULL ORDER BY id DESC", (recipe.name,))
            finally:
                store.close()
            for row in rows:
                if checkpoint.checkpoints(Path(row["checkpoints"])):
                    return row["checkpoints"]
    return _checkpoint_folder(recipe, args, None)


def _checkpointer(recipe, args, run: int | None = None):
    """The run's Checkpointer: when the recipe sets `checkpoint = ...`, or --checkpoints or
    --resume is given; else None (no checkpoint is written)."""
    from pathlib import Path
    from .checkpoint import Checkpointer

    folder = getattr(args, "checkpoints", None)
    resume = getattr(args, "resume", None)
    if folder is None and recipe.train.checkpoint is None and resume is None:
        return None
    if folder is None:            # in the runs folder: --runs DIR, $RECIPEC_RUNS or ./runs
        folder = _resume_folder(recipe, args) if resume is not None else \
            _checkpoint_folder(recipe, args, run)
    folder = Path(folder)
    if folder.suffix == ".safetensors":      # --resume FILE: its folder holds the next ones
        folder = folder.parent
    every = None
    if recipe.train.checkpoint is not None:
        every = recipe.train.checkpoint   # a Duration; in steps once the data is known
    best = recipe.train.keep_best
    return Checkpointer(folder, every, recipe.train.keep, recipe.source, tuple(args.set),
                        best_monitor=best, best_mode=recipe.train.keep_best_mode)


def _resume(program, recipe, args, checkpointer) -> int:
    """Load the newest checkpoint (refused when the recipe changed, unless --force); returns
    the steps left to train."""
    from pathlib import Path
    from . import checkpoint
    from .errors import CheckpointError

    # a file as given; anything else was resolved to the folder (a run's, the newest run's)
    path = checkpoint.find(Path(args.resume) if args.resume and Path(args.resume).is_file()
                           else checkpointer.folder)
    tensors, meta = checkpoint.read(path)
    changed = checkpoint.changes(meta, recipe.source, tuple(args.set))
    if changed and not args.force:
        raise CheckpointError(f"{path} was written by another recipe or overrides: {changed}",
                              "C003", hint="resume with the same recipe and --set values, or "
                                           "add --force to continue anyway")
    program.restore_checkpoint(tensors, meta)
    checkpointer.last_step = program.state.step
    checkpointer.resumed_from = path
    checkpointer.restore_best_record(meta)
    total = recipe.train.total_steps(program.steps_per_epoch)
    # a checkpoint of the prune phase: its training is over (run_phase goes on from there)
    over = meta.get("finished") or program.phase is not None
    left = 0 if over else max(0, total - program.state.step)
    if not args.quiet:
        print(f"resumed from {path} at step {program.state.step} of {total}"
              + ("; that run had finished" if meta.get("finished") else ""), file=sys.stderr)
    return left


def _nothing_left():
    from .program import History
    return History()


@contextlib.contextmanager
def _stop_on_signals(program):
    """SIGINT/SIGTERM: the first asks fit to stop at the next chunk boundary after writing a
    checkpoint; a second one stops at once (the checkpoints on disk stay whole: each is
    written to a temporary file and renamed)."""
    import signal

    def ask(signum, frame):
        if program.stop_requested:
            signal.signal(signum, signal.SIG_DFL)
            raise KeyboardInterrupt
        program.stop_requested = True

    try:
        old = {s: signal.signal(s, ask) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:               # not the main thread (the API in a thread): no handlers
        yield
        return
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def _reading(what: str, quiet: bool):
    """A spinner with the elapsed time while the data is read, on a terminal only (reading a
    large file takes seconds the first time; the parsed copy makes later runs fast)."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    with Console(stderr=True).status(f"reading {what}", spinner="dots"):
        yield


def stopping_lines(program, history) -> list[str]:
    """What early stopping and plateau decided, in words."""
    lines = [f"epoch {epoch}: plateau reduced the learning rate to {rate:.4g}"
             for epoch, rate in history.lr_reductions]
    spec = program.recipe.early_stop
    if history.stopped_epoch is not None:
        lines.append(f"early stop after epoch {history.stopped_epoch}: {spec.monitor} did not "
                     f"improve for {max(1, spec.patience)} epochs")
    if history.restored_epoch is not None:
        lines.append(f"kept the state of epoch {history.restored_epoch}, the best "
                     f"{spec.monitor}")
    return lines


def confusion_table(matrix: list[list[int]], names, split: str) -> str:
    """The confusion matrix as text: rows are true classes, columns predicted ones."""
    k = len(matrix)
    labels = [str(n) for n in names] if names and len(names) == k else [str(i) for i in range(k)]
    width = max(max(len(x) for x in labels), max(len(str(v)) for row in matrix for v in row))
    lines = [f"confusion ({split}; rows: true class, columns: predicted)",
             " " * (width + 2) + " ".join(x.rjust(width) for x in labels)]
    for label, row in zip(labels, matrix):
        lines.append(label.rjust(width) + "  " + " ".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)


def data_label(recipe) -> str:
    source = recipe.data.source
    path = dict(source.options).get("path")
    return f"{source.kind} {path}" if path else source.kind


def _peak_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB, macOS bytes)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2 ** 20 if sys.platform == "darwin" else 2 ** 10)


