"""`recipec search FILE`: run the study, write the best recipe and the figures.

Each trial's recipe is the file's text with the trial's values in place; it trains on the
data read once (unless a data value is searched). A line per trial (a live table on a
terminal), then the best trial's values and metric, and `best.recipe`: a plain recipe (the
search section left out) that `recipec run` trains to the same metric with the same seed.
Ctrl-C stops the search between two chunks of steps; the cut-off trial is marked failed, and
the same command continues the study, running that point again.

`--workers N` (or `search { workers = N }`) starts N processes of this command on the same
study, each with cores / N threads (results do not depend on the thread count). A grid's
points are queued in the study before they start, so each point is trained exactly once
whoever takes it.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from ...compiler.diagnostics import Span


class _Surplus(Exception):
    """A grid trial asked after the queue emptied (another worker took the last point)."""


def search_command(args) -> int:
    import recipec
    from .study import enqueue_grid, finished, open_study, retry_cut_off, storage_of
    from .suggest import params_text

    recipe = recipec.load(args.file, args.set)
    if not recipe.space:
        print(f"recipec: error: {args.file} has no search space: write a range or a choice in "
              f"place of a value, e.g. `optimizer = adam(lr = loguniform(1e-4, 1e-1))`",
              file=sys.stderr)
        return 2
    spec, space = recipe.search, recipe.space
    trials = args.trials or spec.trials
    from ..store.db import folder_of
    folder = Path(folder_of(args.runs)) / recipe.name / "search"
    url = args.storage or spec.storage
    study = open_study(recipe.name, spec, space, storage_of(url, folder), spec.direction,
                       url or str(folder / "study.journal"))
    if args.worker is not None:      # one of the processes a `--workers N` search started
        return _work(study, recipe, trials, args, f"worker {args.worker}: ")
    workers = args.workers or spec.workers
    again = retry_cut_off(study, server=bool(url))
    if spec.method == "grid":
        enqueue_grid(study, space, trials, spec.seed)
    quiet = args.quiet
    if not quiet:
        cores = os.cpu_count() or 1
        print(f"search {recipe.name}: {spec.method}, {trials} trials ({finished(study)} done "
              f"before" + (f"; trial {', '.join(map(str, again))} cut off, to run again"
                           if again else "")
              + f"), {spec.direction} {spec.metric}"
              + (f", pruner {spec.pruner}" if spec.pruner != "none" else "")
              + (f"; {workers} workers x {_threads(workers)} thread(s) on {cores} cores"
                 if workers > 1 else ""), file=sys.stderr)
    code = _work(study, recipe, trials, args, "") if workers == 1 else \
        _spawn(args, workers, trials)
    if code:
        if code == 130:
            print(f"interrupted; run `recipec search {args.file}` again to continue the study",
                  file=sys.stderr)
        return code
    best = _best(study)
    if best is None:
        print("no trial completed", file=sys.stderr)
        return 1
    values = {d: _text(d, best.params[d.name]) for d in space}
    out = Path(args.out) if args.out else folder / "best.recipe"
    _write_best(out, values, best, spec, recipe)
    print(f"best: trial {best.number}  {spec.metric} {best.value:.4f}  "
          f"{params_text(space, values)}")
    print(f"best recipe: {out} (`recipec run {out}` trains it again)")
    if not args.no_plots:
        figures = _figures(study, space, spec, folder)
        if not quiet:
            print(f"figures: {', '.join(str(f) for f in figures)}", file=sys.stderr)
    return 0


def _figures(study, space, spec, folder: Path) -> list[Path]:
    """The optimisation history, the slices and (from two finished trials on, with two or
    more parameters) the parameters' fANOVA importances, as PNG in the search's folder."""
    import optuna
    from optuna.trial import TrialState

    from ..plot.search import SearchTrial, write_search_figures

    trials = [SearchTrial(t.number, t.value if t.state == TrialState.COMPLETE else None,
                          t.params, t.state.name) for t in study.trials]
    importances = None
    if len(space) >= 2 and sum(t.value is not None for t in trials) >= 2:
        importances = optuna.importance.get_param_importances(study)
    return write_search_figures(folder, trials, space, spec.metric,
                                spec.direction == "maximize", importances)


def _threads(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def _spawn(args, workers: int, trials: int) -> int:
    """N processes of this command on the same study; their exit code (130 when stopped)."""
    import subprocess

    command = [sys.executable, "-m", "recipec", "search", args.file, "--trials", str(trials)]
    for value in args.set:
        command += ["--set", value]
    for flag, value in (("--storage", args.storage), ("--runs", args.runs)):
        if value:
            command += [flag, value]
    for flag in ("quiet", "no_store"):
        if getattr(args, flag, False):
            command.append("--" + flag.replace("_", "-"))
    env = dict(os.environ, NUMBA_NUM_THREADS=str(_threads(workers)))
    procs = [subprocess.Popen(command + ["--worker", str(k + 1)], env=env)
             for k in range(workers)]
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:        # the workers got the same Ctrl-C: let them finish up
        codes = [p.wait() for p in procs]
        return 130
    return 130 if 130 in codes else max(codes)


def _work(study, recipe, trials: int, args, label: str) -> int:
    """Trials one after another until the study has `trials` (counting those running in
    other workers), the grid's queue is empty, or the timeout passes."""
    import recipec
    import optuna
    from optuna.trial import TrialState

    from ...compiler.search.space import substitute
    from .suggest import suggest
    from .table import TrialTable
    from .trial import Cut, run_trial

    spec, space = recipe.search, recipe.space
    grid = spec.method == "grid"
    searched_data = any(d.name.startswith("data.") for d in space)
    data = None if searched_data else recipec.check_data(recipe)
    table = TrialTable(space, spec.metric, quiet=args.quiet, label=label,
                       live=not label)
    start = time.perf_counter()

    def objective(trial):
        if grid and "grid_point" not in trial.user_attrs:
            trial.set_user_attr("retry_of", trial.number)       # nothing to run again
            raise _Surplus()
        values = suggest(trial, space)
        table.started(trial.number, values)
        outcome = run_trial(trial, substitute(recipe.source, values), recipe.path,
                            args, data, spec.metric, recipe.name,
                            pruning=spec.pruner != "none", threads=share)
        table.ended(trial.number, outcome)
        return _result(trial, outcome)

    counted = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
    side_by_side = batch_trials(recipe)
    share = max(1, _cores() // side_by_side) if side_by_side > 1 else None
    stop = _stop_trials_on_sigint() if side_by_side > 1 else contextlib.nullcontext()
    try:
        with stop:
            _loop(study, objective, spec, trials, grid, counted, side_by_side, start,
                  args, label)
    except (KeyboardInterrupt, Cut):
        return 130
    finally:
        table.close()
    return 0


def batch_trials(recipe) -> int:
    """How many trials train side by side in this process: `search { batch_trials = K }`,
    or for `auto` one per core this process has (a `--workers` process has its share) for a
    small model (under 1M parameters, whose steps are too short to use every core
    themselves), else one."""
    value = recipe.search.batch_trials
    if value != "auto":
        return int(value)
    return _cores() if recipe.model.params < 1_000_000 else 1


def _cores() -> int:
    """The cores this process trains on (a `--workers` process is given its share)."""
    return max(1, int(os.environ.get("NUMBA_NUM_THREADS") or os.cpu_count() or 1))


@contextlib.contextmanager
def _stop_trials_on_sigint():
    """While trials train in threads, Ctrl-C asks each to stop at its next chunk boundary
    (the main thread only waits for them); a second Ctrl-C stops at once."""
    import signal

    from .trial import stop_all

    asked = []

    def ask(signum, frame):
        if asked:
            signal.signal(signum, signal.SIG_DFL)
            raise KeyboardInterrupt
        asked.append(True)
        stop_all()

    try:
        old = signal.signal(signal.SIGINT, ask)
    except ValueError:                 # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
    if asked:
        raise KeyboardInterrupt


def _loop(study, objective, spec, trials, grid, counted, side_by_side, start, args,
          label) -> None:
    from optuna.trial import TrialState

    while True:
        if spec.timeout is not None and time.perf_counter() - start > spec.timeout:
            if not args.quiet:
                print(f"{label}timeout: {spec.timeout} s passed; no new trial",
                      file=sys.stderr)
            return
        if grid and not study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            return
        if not grid and len(study.get_trials(deepcopy=False, states=counted)) >= trials:
            return
        # The trials still wanted, `side_by_side` at a time in Optuna's threads: a new trial
        # starts as soon as one ends (rounds of K trials each waited for their slowest, and
        # trials of batch 16 take three times those of batch 48). A callback stops the study
        # when the count across every worker is reached; a trial cut off by Ctrl-C is marked
        # failed by Optuna itself.
        waiting = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
        wanted = waiting if grid else trials - len(study.get_trials(deepcopy=False,
                                                                    states=counted))
        left = None if spec.timeout is None else max(
            0.0, spec.timeout - (time.perf_counter() - start))
        study.optimize(objective, n_trials=max(1, wanted),
                       n_jobs=max(1, min(side_by_side, wanted)), timeout=left,
                       gc_after_trial=False, catch=(_Surplus,),
                       callbacks=[] if grid else [_stop_at(trials, counted)])


def _stop_at(trials: int, counted):
    """An Optuna callback stopping the study once it holds `trials` counted trials (those
    of other workers included): the running ones finish, no new one starts."""
    def callback(study, trial):
        if len(study.get_trials(deepcopy=False, states=counted)) >= trials:
            study.stop()
    return callback


def _result(trial, outcome) -> float:
    """What the objective gives Optuna: the value, or a pruned or failed trial."""
    import optuna

    trial.set_user_attr("seconds", round(outcome.seconds, 3))
    if outcome.state == "pruned":
        raise optuna.TrialPruned(outcome.note)
    if outcome.state == "diverged":         # a result, not a point to run again
        trial.set_user_attr("diverged", outcome.note)
        trial.set_user_attr("retry_of", trial.number)
        return float("nan")                 # Optuna records a NaN value as a failed trial
    return outcome.value


def _best(study):
    from optuna.trial import TrialState

    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    return study.best_trial if done else None


def _text(dim, value) -> str:
    """A trial parameter back to recipe text (categoricals are already texts)."""
    return value if isinstance(value, str) else dim.text_of(value)


def _write_best(out: Path, values, best, spec, recipe) -> None:
    """The best trial as a plain recipe: its values in place, the search section left out."""
    from ...compiler.search.space import substitute
    from ..report import write_text_atomic

    cut = () if spec.span == Span.unknown(spec.span.file) else (spec.span,)
    header = (f"# the best trial ({best.number}) of `recipec search {recipe.path}`: "
              f"{spec.metric} {best.value:.6g}\n")
    write_text_atomic(out, header + substitute(recipe.source, values, cut=cut))
