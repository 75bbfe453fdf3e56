"""The `recipec` command: a thin face over the Python API.

    recipec check FILE                      check and print the model summary
    recipec run FILE [--set k=v] [--report out.json]
    recipec compile FILE --emit ir|numba [--dump-after PASS]
    recipec eval MODEL [--data PATH] [--split test|validation|train] [--report out.json]
    recipec predict MODEL INPUT.csv|INPUT.npz|INPUT.npy -o out.csv
    recipec export MODEL --format onnx|npz|safetensors [-o OUT]
    recipec ensemble MODEL... [--weights W,...] [--split test|validation|train]
    recipec explain MODEL [--split S] [--repeats N] [--input FILE] [--samples N] [-o FIG.png]
    recipec plot RUN... -o curves.png [--confusion]
    recipec runs [--recipe NAME] [--status S] [-n N]    the recorded runs, newest first
    recipec runs show ID | runs compare A B ...

Exit codes: 0 success, 2 a problem with the recipe or its data (a diagnostic is printed,
never a traceback), a training that diverged (error[T001]: a NaN or infinite loss or
parameter; the epoch and step are named), an unusable --report path (checked before
anything runs) or a run store that cannot be used or lacks the run asked for (R001-R004),
1 an internal error (set RECIPEC_DEBUG=1 for the traceback).
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback


COMMANDS = ("check", "run", "compile", "plot", "eval", "predict", "export", "ensemble", "explain",
            "search", "runs")
RUN_STATUSES = ("running", "finished", "failed", "interrupted", "diverged", "lost", "pruned")
RUNS_HELP = "the runs folder, holding the run store runs.sqlite (default $RECIPEC_RUNS or ./runs)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recipec", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    c = sub.add_parser("check", help="check a recipe and print its model summary")
    c.add_argument("file")
    c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    c.add_argument("--no-data", action="store_true",
                   help="check the recipe text alone, without opening its data (e.g. a recipe "
                        "written for a machine that has the data)")
    r = sub.add_parser("run", help="train a recipe")
    r.add_argument("file")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe value, e.g. --set train.epochs=5")
    r.add_argument("--target", choices=("cpu", "cuda"),
                   help="where the training step runs (overrides `train { target = ... }`)")
    r.add_argument("--report", metavar="OUT.json", help="write final metrics and timings")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.add_argument("--checkpoints", metavar="DIR",
                   help="where checkpoints go (default <runs>/<recipe>/checkpoints when the "
                        "recipe sets `train { checkpoint = ... }`; <runs> is --runs DIR)")
    r.add_argument("--resume", nargs="?", const="", metavar="PATH",
                   help="continue from the newest checkpoint (of PATH, a file or folder; "
                        "default the checkpoints folder)")
    r.add_argument("--force", action="store_true",
                   help="with --resume: resume even if the recipe or overrides changed")
    r.add_argument("--fold", type=int, metavar="I",
                   help="with validation = kfold(k): train only fold I (1 to k)")
    r.add_argument("--no-store", action="store_true",
                   help="do not record this run in the run store")
    r.add_argument("--runs", metavar="DIR", help=RUNS_HELP)
    r.add_argument("--mlflow", metavar="URI", help="also log the run to this MLflow tracking "
                   "server or store (http://host:5000, sqlite:///mlflow.db); needs mlflow")
    r.add_argument("--mlflow-experiment", metavar="NAME",
                   help="with --mlflow: the experiment (default: the recipe's name)")
    r.add_argument("--model", metavar="DIR",
                   help="where the trained model goes (default <runs>/<recipe>/model)")
    for command in (c, r):
        command.add_argument("--no-data-cache", action="store_true",
                             help="parse the data files again instead of using the parsed "
                                  "copy kept from an earlier run (and keep none)")
    k = sub.add_parser("compile", help="print the IR or the generated Numba source")
    k.add_argument("file")
    k.add_argument("--emit", choices=("ir", "numba", "ptx"), default="ir",
                   help="the IR, the generated Numba source, or (--target cuda) the kernels "
                        "compiled to PTX for sm_90 (needs libNVVM, no GPU)")
    k.add_argument("--dump-after", metavar="PASS", help="print the IR after this pass")
    k.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    k.add_argument("--target", choices=("cpu", "cuda"),
                   help="where the training step runs (overrides `train { target = ... }`)")
    runs = sub.add_parser("runs", help="list the recorded runs (newest first); `runs show ID`, "
                                       "`runs compare A B ...`")
    runs.add_argument("--runs", metavar="DIR", help=RUNS_HELP)
    runs.add_argument("--recipe", metavar="NAME", help="only the runs of this recipe")
    runs.add_argument("--status", choices=RUN_STATUSES, help="only the runs with this status")
    runs.add_argument("--study", metavar="NAME", help="only the trials of this search study "
                      "(`recipec search`; a study is named after its recipe)")
    runs.add_argument("-n", type=_positive, metavar="N", help="the newest N only")
    actions = runs.add_subparsers(dest="runs_command", metavar="{show,compare}")
    show = actions.add_parser("show", help="everything recorded of one run, epoch by epoch")
    show.add_argument("id", type=_run_ref, metavar="ID", help="a run id, `last` or `last-N`")
    compare = actions.add_parser("compare", help="final metrics side by side, and the recipe "
                                                 "values that differ")
    compare.add_argument("ids", type=_run_ref, nargs="+", metavar="ID",
                         help="run ids, `last` or `last-N` (the Nth before the newest)")
    for action in (show, compare):    # after the action too; SUPPRESS: never unset it
        action.add_argument("--runs", metavar="DIR", help=RUNS_HELP, default=argparse.SUPPRESS)
    e = sub.add_parser("eval", help="evaluate a trained model on its test split or other data")
    e.add_argument("model", metavar="MODEL", help="a model folder, or a run: its id, `last` "
                   "or `last-N`")
    e.add_argument("--data", metavar="PATH",
                   help="another data file (.csv, .npz, .parquet, .feather, .npy with "
                        "--labels): all its rows")
    e.add_argument("--labels", metavar="Y.npy", help="the labels of an .npy --data file")
    e.add_argument("--split", choices=("test", "validation", "train"),
                   help="a split of the recipe's own data (default test, else validation)")
    e.add_argument("--report", metavar="OUT.json", help="write the metrics as JSON")
    x = sub.add_parser("export", help="a trained model for other runtimes: ONNX (raw inputs "
                                      "in, predict()'s outputs out), npz or safetensors")
    x.add_argument("model", metavar="MODEL", help="a model folder, or a run: its id, `last` "
                   "or `last-N`")
    x.add_argument("--format", choices=("onnx", "npz", "safetensors"), default="onnx")
    x.add_argument("-o", "--output", metavar="OUT", help="the file (default <recipe>.<format>)")
    x.add_argument("--int8", action="store_true", help="ONNX: the int8 twin a `quantize` run "
                   "stored, in QDQ form (QuantizeLinear / DequantizeLinear around each product)")
    n = sub.add_parser("ensemble", help="average several trained models' probabilities and "
                                        "print the ensemble's metrics beside each member's")
    n.add_argument("models", metavar="MODEL", nargs="+", help="model folders, or runs: ids, "
                   "`last` or `last-N`")
    n.add_argument("--weights", metavar="W1,W2,...", help="one weight per model (default equal)")
    n.add_argument("--split", choices=("test", "validation", "train"),
                   help="the members' split (default test, else validation, else train)")
    xp = sub.add_parser("explain", help="what a model's predictions rest on: permutation "
                        "importance of a tabular model's features (a table, and a bar chart "
                        "with -o); saliency and integrated gradients of an image model's "
                        "samples (a table and a PNG)")
    xp.add_argument("model", metavar="MODEL", help="a model folder, or a run: its id, `last` "
                    "or `last-N`")
    xp.add_argument("--split", choices=("test", "validation", "train"),
                    help="the split (default test, else validation, else train)")
    xp.add_argument("--repeats", type=_positive, default=5, metavar="N",
                    help="shuffles per feature (default 5)")
    xp.add_argument("--seed", type=int, default=0)
    xp.add_argument("--input", metavar="FILE", help="image model: explain the raw samples of "
                    "this .npy, .npz or .csv file (default: the split's first rows)")
    xp.add_argument("--samples", type=_positive, default=8, metavar="N",
                    help="image model: how many samples (default 8)")
    xp.add_argument("--steps", type=_positive, default=32, metavar="N",
                    help="image model: integrated gradients' steps (default 32)")
    xp.add_argument("-o", "--output", metavar="FIG.png", help="tabular model: also draw the "
                    "bar chart; image model: where the PNG goes (default saliency.png)")
    q = sub.add_parser("predict", help="write a trained model's predictions for new inputs")
    q.add_argument("model", metavar="MODEL", help="a model folder, or a run: its id, `last` "
                   "or `last-N`")
    q.add_argument("input", metavar="INPUT", help="samples: a .csv, .npz (array x) or .npy file")
    q.add_argument("-o", "--output", metavar="OUT.csv", required=True,
                   help="where the predictions go (CSV)")
    for command in (e, q, x, n, xp):
        command.add_argument("--runs", metavar="DIR", help="the runs folder a run id is looked "
                             "up in (default $RECIPEC_RUNS, else ./runs)")
    from .plot.command import add_parser as plot_parser    # matplotlib is not imported
    g = plot_parser(sub)
    h = sub.add_parser("search", help="explore the recipe's search space (Optuna)")
    h.add_argument("file")
    h.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    h.add_argument("--target", choices=("cpu", "cuda"),
                   help="where the training step runs (overrides `train { target = ... }`)")
    h.add_argument("--trials", type=_positive, metavar="N", help="trials in all (default: the "
                   "recipe's `search { trials = N }`)")
    h.add_argument("--storage", metavar="URL", help="the study's storage (default a journal "
                   "file in runs/<recipe>/search)")
    h.add_argument("--runs", metavar="DIR", help="the runs folder (default ./runs)")
    h.add_argument("-o", "--out", metavar="BEST.recipe",
                   help="where the best recipe goes (default runs/<recipe>/search/best.recipe)")
    h.add_argument("--quiet", action="store_true", help="only the best trial")
    h.add_argument("--no-store", action="store_true", help="do not record the trials in the "
                   "run store")
    h.add_argument("--workers", type=_positive, metavar="N", help="trial processes on this "
                   "machine, sharing the cores (default: the recipe's `search { workers }`)")
    h.add_argument("--worker", type=int, help=argparse.SUPPRESS)   # one of those processes
    h.add_argument("--no-plots", action="store_true", help="no history, slice and importance "
                   "figures (PNG in runs/<recipe>/search)")
    # for usage errors found after parsing
    p.commands = {"check": c, "run": r, "compile": k, "plot": g, "eval": e, "predict": q,
                  "export": x, "ensemble": n, "explain": xp, "search": h, "runs": runs}
    return p


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def _run_ref(text: str) -> int:
    """A run id (>= 1), or `last` (-1) and `last-N` (-1 - N): counted back from the newest."""
    if text.isdigit() and int(text) >= 1:
        return int(text)
    if text == "last" or (text.startswith("last-") and text[5:].isdigit()):
        return -1 - int(text[5:] or 0)
    raise argparse.ArgumentTypeError(f"{text!r} is not a run id (1, 2, ...), `last` or "
                                     f"`last-N`")


def _check(args) -> int:
    import recipec
    from ..compiler.summary import summary

    recipe = recipec.load(args.file, args.set)
    if args.no_data:
        print(summary(recipe))
        _print_space(recipe)
        return 0
    # the data too (read, never trained on): a check passes only if `run` could start
    data = recipec.check_data(recipe, cache=not args.no_data_cache)
    init = _check_init(recipe)
    print(summary(recipe))
    if init is not None:
        print(f"transfer   {init}")
    splits = ", ".join(f"{len(part)} {name}" for name, part in
                       (("train", data.train), ("validation", data.validation),
                        ("test", data.test)) if part is not None)
    print(f"samples    {data.source}: {splits}; each {list(data.feature_shape)}")
    for c in data.categories:
        print(f"categories {c.name!r} -> columns {c.start}..{c.start + len(c.values) - 1}: "
              f"{', '.join(c.values)}")
    for note in data.notes:
        print(f"cleaning   {note}")
    _print_space(recipe)
    return 0


def _check_init(recipe) -> str | None:
    """`init = checkpoint(...)`'s file read and matched against the model, as `run` reads it
    (the model's tensors from its graph, which builds in milliseconds and compiles nothing)."""
    if recipe.model.init is None:
        return None
    from pathlib import Path
    from ..compiler.build import build_forward
    from .transfer import describe, initial_tensors, shapes_of

    ctx = build_forward(recipe.model, training=False).ctx
    found = initial_tensors(recipe, shapes_of(ctx.params, ctx.stats), Path(recipe.path).parent)
    return describe(*found)


def _print_space(recipe) -> None:
    """The search space (compiler/search/), when the recipe has one: what `recipec search`
    explores; the summary above is its first point."""
    if not recipe.space:
        return
    s = recipe.search
    print(f"search     {s.method}, {s.trials} trials, {s.direction} {s.metric}"
          + (f", pruner {s.pruner}" if s.pruner != "none" else "")
          + "; the summary above is the first point")
    width = max(len(d.name) for d in recipe.space)
    for d in recipe.space:
        print(f"  {d.name.ljust(width)}  {d.describe()}")


def _compile(args) -> int:
    import recipec
    from ..compiler.ir import format_graph
    from ..compiler.lower import CompileOptions, get_target
    from ..compiler.pipeline import compile_recipe

    recipe = recipec.load(args.file, args.set)
    target = recipe.train.target
    dumps = []  # main() has refused an unknown --dump-after stage
    # the target's passes, but no kernel: the IR and the source need no compile
    compiled = compile_recipe(recipe, target, lower=False, dump_after=args.dump_after,
                              on_dump=lambda title, text: dumps.append((title, text)))
    if dumps:
        for title, text in dumps:
            print(f"# {title}\n{text}\n")
    elif args.emit == "ir":
        print("# training step\n" + format_graph(compiled.graphs.train))
        print("\n# prediction\n" + format_graph(compiled.graphs.predict))
    elif args.emit != "numba":               # a target's other form of its code (ptx)
        emit = get_target(target).emits.get(args.emit)
        if emit is None:
            print(f"recipec: error: --emit {args.emit} is not a form of the {target} target's "
                  "code (--emit ptx needs --target cuda)", file=sys.stderr)
            return 2
        print(emit(compiled.graphs))
    else:
        print(get_target(target).listing(compiled.graphs,
                                         CompileOptions(batch=recipe.train.batch)))
    return 0


def _run(args) -> int:
    from .run import run_command
    return run_command(args)


def _search(args) -> int:
    from .search.command import search_command
    return search_command(args)


def _explain(args) -> int:
    from .explain.command import explain_command
    return explain_command(args)


def _ensemble(args) -> int:
    from .ensemble_command import ensemble_command
    return ensemble_command(args)


def _export(args) -> int:
    from .export.command import export_command
    return export_command(args)


def _eval(args) -> int:
    from .eval_command import eval_command
    return eval_command(args)


def _predict(args) -> int:
    from .predict_command import predict_command
    return predict_command(args)


def _plot(args) -> int:
    from .plot.command import plot_command
    return plot_command(args)



def _runs(args) -> int:
    from .store.commands import runs_command
    return runs_command(args)


def _refuse_bad_arguments(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """A misspelt command, refused with a did-you-mean (argparse lists the choices only)."""
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        parser.error(f"unknown command {argv[0]!r}{_did_you_mean(argv[0], COMMANDS)}; "
                     f"the commands are {', '.join(COMMANDS)}")


def _did_you_mean(word: str, names) -> str:
    from ..compiler.suggest import closest

    best = closest(word, names)
    return "" if best is None else f" (did you mean {best!r}?)"


def _refuse_bad_values(parser: argparse.ArgumentParser, args) -> None:
    """Usage errors argparse cannot see, refused (exit 2) before any recipe is read, so that a
    typo never costs a training: an unknown `--dump-after` stage. (A `--report` that cannot
    be written is refused at the start of `_run`.)"""
    from ..compiler.pipeline import stage_names

    command = parser.commands[args.command]
    stage = getattr(args, "dump_after", None)
    target = getattr(args, "target", None) or "cpu"
    if stage is not None and stage not in stage_names(target):
        stages = stage_names(target)
        command.error(f"argument --dump-after: unknown stage {stage!r}"
                      f"{_did_you_mean(stage, stages)}; the stages are {', '.join(stages)}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    _refuse_bad_arguments(parser, argv)
    args = parser.parse_args(argv)
    if getattr(args, "target", None):     # --target T is --set train.target=T, applied last
        args.set = [*args.set, f"train.target={args.target}"]
    _refuse_bad_values(parser, args)
    from ..compiler.diagnostics import RecipeError, render, render_all
    from .errors import CodedError, DataError, TrainingDiverged
    from ..compiler.lower import TargetUnavailable, get_target

    try:
        get_target("cpu").check_settings()
    except ValueError as err:            # a bad RECIPEC_THREADS is the user's setting
        print(f"recipec: error: {err}", file=sys.stderr)
        return 2

    try:
        return {"check": _check, "run": _run, "compile": _compile, "plot": _plot,
                "eval": _eval, "predict": _predict, "export": _export,
                "ensemble": _ensemble, "explain": _explain, "search": _search,
                "runs": _runs}[args.command](args)
    except RecipeError as err:
        print(render_all(err), file=sys.stderr)
        return 2
    except DataError as err:
        located = err.diagnostic()
        print(render(located, err.source) if located is not None
              else f"{_subject(args)}: {err.render()}", file=sys.stderr)
        return 2
    except TrainingDiverged as err:
        print(f"{_subject(args)}: {err.render()}", file=sys.stderr)
        return 2
    except TargetUnavailable as err:    # X001-X003: no numba-cuda, no GPU, an op with no kernel
        print(f"recipec: {err.render()}", file=sys.stderr)
        return 2
    except CodedError as err:        # a checkpoint, a model folder, a study
        located = err.diagnostic()        # init = checkpoint(...): at that call
        print(render(located, err.source) if located is not None
              else f"recipec: {err.render()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("recipec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:            # `recipec compile ... | head`: the reader left
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as err:  # a bug in recipec, not in the user's input
        if os.environ.get("RECIPEC_DEBUG"):
            traceback.print_exc()
        print(f"recipec: internal error: {type(err).__name__}: {err}\n"
              "  (this is a bug in recipec; set RECIPEC_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


def _subject(args) -> str:
    """What an unlocated error is printed against: the recipe file (eval and predict name
    their files in the message)."""
    return getattr(args, "file", None) or "recipec"


if __name__ == "__main__":
    sys.exit(main())
