"""`recipec plot RUN... -o OUT.png [--confusion [--split S] [--normalize N]]`.

Curves of one or several runs on one figure, or one run's confusion matrix. Every problem
(an output that cannot be written, a missing or damaged report, a run without epochs or
without a confusion matrix) is a message and exit 2, found before matplotlib is imported.
"""
from __future__ import annotations

import sys

from ..errors import DataError, StoreError


def add_parser(sub) -> object:
    p = sub.add_parser("plot", help="draw runs' curves, or a run's confusion matrix")
    p.add_argument("refs", nargs="+", metavar="RUN",
                   help="a run: its id in the run store, `last` or `last-N`, or a report "
                        "written by `recipec run FILE --report OUT.json`")
    p.add_argument("--runs", metavar="DIR", help="the runs folder a run id is looked up in "
                   "(default $RECIPEC_RUNS, else ./runs)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png",
                   help="the figure to write: .png, .svg or .pdf")
    p.add_argument("--confusion", action="store_true",
                   help="draw the run's confusion matrix (the recipe's metrics must list "
                        "`confusion`) instead of its curves")
    p.add_argument("--split", choices=("validation", "test", "train"),
                   help="with --confusion: the split's matrix (default: test, else "
                        "validation, as `recipec run` prints it)")
    p.add_argument("--normalize", choices=("true", "pred", "all"),
                   help="with --confusion: fractions of each true class, each predicted "
                        "class or all samples instead of counts")
    return p


def plot_command(args) -> int:
    from ..report import unwritable_reason
    from .figure import format_of
    from .runs import confusion_of, resolve_run

    if not args.confusion and (args.split or args.normalize):
        return _error(f"--{'split' if args.split else 'normalize'} is for --confusion")
    if args.confusion and len(args.refs) > 1:
        return _error(f"--confusion draws one run's matrix; {len(args.refs)} runs were given")
    try:
        format_of(args.output)
    except ValueError as err:
        return _error(f"-o {err}")
    if why := unwritable_reason(args.output):
        return _error(f"-o {args.output}: {why}")
    try:
        runs = [resolve_run(text, args.runs) for text in args.refs]
        if args.confusion:
            matrix, split = confusion_of(runs[0], args.refs[0], args.split)
    except StoreError as err:
        print(f"recipec: {err.render()}", file=sys.stderr)
        return 2
    except DataError as err:
        print(f"recipec: {err.render()}" + (f"\n  = help: {err.hint}" if err.hint else ""),
              file=sys.stderr)
        return 2
    try:
        from . import plot_confusion, plot_curves
        if args.confusion:
            plot_confusion(matrix, runs[0].class_names, args.output, args.normalize,
                           title=f"{runs[0].label}: confusion ({split})")
        else:
            plot_curves(list(zip(_labels(runs, args.refs), (r.history for r in runs))),
                        args.output)
    except ImportError as err:        # an install from before matplotlib was a dependency
        return _error(f"`recipec plot` needs matplotlib ({err}): pip install matplotlib")
    except OSError as err:            # the folder changed since the check (full, removed)
        return _error(f"-o {args.output}: {err.strerror or err}")
    print(f"wrote {args.output}")
    return 0


def _labels(runs, texts: list[str]) -> list[str]:
    """Each run's label, the file's stem; the whole path as given where two stems agree
    (runs/a/out.json and runs/b/out.json)."""
    labels = [r.label for r in runs]
    return [text if labels.count(label) > 1 else label for label, text in zip(labels, texts)]


def _error(message: str) -> int:
    print(f"recipec: error: {message}", file=sys.stderr)
    return 2
