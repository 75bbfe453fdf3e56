"""What `recipec plot RUN` names, resolved to the run's label, history and details.

RUN is the path of a report `recipec run FILE --report OUT.json` wrote. The run store's ids
(runtime/store/) will be resolved here too, by `resolve_run` alone: the command and the
figures take its Run, wherever it came from. Everything read is checked, so that a damaged
file is a DataError naming it and what is wrong (exit 2), never a traceback in a figure.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import NamedTuple

from ..errors import D001, D002, D003, DataError

MAX_BYTES = 256 * 2 ** 20          # reports are kilobytes; anything this large is not one
ABOUT = "a run report (the JSON `recipec run FILE --report OUT.json` writes)"


class Run(NamedTuple):
    label: str                      # the name its curves carry in the legend
    history: list[dict]             # per epoch, as the report's "history"
    details: dict                   # per split: per-class values, confusion matrices
    class_names: list[str] | None   # the confusion matrix's labels (None: 0..K-1)


def resolve_run(text: str, runs: str | None = None) -> Run:
    """The run `text` names: a report's path, or a run of the run store in `runs` (its id,
    `last` or `last-N`: the report.json in its folder, else its recorded epochs); a
    DataError (D001 missing, D002 unreadable, D003 not a report, or one without epochs) or
    a StoreError (no such run) otherwise."""
    from ..store.refs import run_ref
    if not Path(text).exists() and run_ref(text) is not None:
        return _stored_run(text, runs)
    payload = _read_json(text)
    if not isinstance(payload, dict):
        raise DataError(f"{text} is not {ABOUT}: it holds a JSON {_kind(payload)}", D003,
                        text)
    if "cross_validation" in payload:
        raise DataError(f"{text} is a k-fold report ({payload.get('folds', '?')} trainings); "
                        f"plot one fold's", D003, text,
                        hint="train one fold with `recipec run FILE --fold I --report "
                             "OUT.json` and plot that report")
    history = payload.get("history")
    if not isinstance(history, list):
        raise DataError(f"{text} is not {ABOUT}: it has no \"history\" list", D003, text)
    if not history:
        raise DataError(f"{text}: the run has no epochs to plot (its \"history\" is empty)",
                        D003, text, hint="a run resumed from a finished checkpoint trains "
                                         "nothing; plot the report of the run that trained")
    for i, record in enumerate(history):
        _check_record(text, i, record)
    details = payload.get("details", {})
    if not isinstance(details, dict):
        raise DataError(f"{text}: \"details\" is a JSON {_kind(details)}, not an object",
                        D003, text)
    names = payload.get("class_names")
    if names is not None and not (isinstance(names, list) and
                                  all(isinstance(n, str) for n in names)):
        raise DataError(f"{text}: \"class_names\" is not a list of strings", D003, text)
    return Run(Path(text).stem or text, history, details, names)


def confusion_of(run: Run, text: str, split: str | None) -> tuple[list[list[float]], str]:
    """The run's confusion matrix on `split` (None: test, else validation, else train, as
    `recipec run` prints it) and that split's name; a DataError naming what the run has."""
    having = [s for s, d in run.details.items() if isinstance(d, dict) and "confusion" in d]
    if split is None:
        split = next((s for s in ("test", "validation", "train") if s in having), None)
    if split is None or split not in having:
        where = f"for the {split} split" if split else "for any split"
        has = f" (it has one for {', '.join(having)})" if having else ""
        raise DataError(f"{text}: the run has no confusion matrix {where}{has}", D003, text,
                        hint=None if having else
                        "add `confusion` to the recipe's metrics (e.g. `--set "
                        "'metrics=[accuracy, confusion]'`) and run it again with --report")
    matrix = run.details[split]["confusion"]
    if not (isinstance(matrix, list) and matrix and
            all(isinstance(row, list) and len(row) == len(matrix) and
                all(_number(v) and math.isfinite(v) and v >= 0 for v in row) for row in matrix)):
        raise DataError(f"{text}: the {split} confusion matrix is not a square list of lists "
                        f"of counts", D003, text)
    if run.class_names is not None and len(run.class_names) != len(matrix):
        raise DataError(f"{text}: {len(run.class_names)} class names for a {len(matrix)}-class "
                        f"confusion matrix", D003, text)
    return matrix, split


def _read_json(text: str):
    path = Path(text)
    if not path.exists():
        raise DataError(f"{text}: no such run report", D001, text,
                        hint="give the path of a report `recipec run FILE --report OUT.json` "
                             "wrote")
    if path.is_dir():
        raise DataError(f"{text} is a folder, not {ABOUT}", D002, text)
    if not path.is_file():
        raise DataError(f"{text} is not a regular file", D002, text)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DataError(f"{text} is {path.stat().st_size / 2 ** 20:,.0f} MiB: too large "
                            f"to be {ABOUT}", D002, text)
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"{text} cannot be read ({err.strerror or err})", D002, text) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise DataError(f"{text} is not UTF-8 text (byte {err.start}), so not {ABOUT}", D002,
                        text) from None
    except json.JSONDecodeError as err:
        raise DataError(f"{text} is not JSON ({err.msg} at line {err.lineno}, column "
                        f"{err.colno}); is it a whole report?", D002, text) from None
    except RecursionError:
        raise DataError(f"{text} nests too deeply to be {ABOUT}", D002, text) from None


def _check_record(text: str, i: int, record) -> None:
    where = f"{text}: history[{i}]"
    if not isinstance(record, dict):
        raise DataError(f"{where} is a JSON {_kind(record)}, not an epoch's object", D003, text)
    epoch = record.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        raise DataError(f"{where} has no epoch number (\"epoch\": a whole number >= 1)", D003,
                        text)
    for split in ("train", "validation"):
        values = record.get(split)
        if values is None and split == "validation":
            continue
        if not isinstance(values, dict) or not all(
                isinstance(k, str) and (v is None or _number(v)) for k, v in values.items()):
            raise DataError(f"{where}: \"{split}\" is not an object of metric "
                            f"names and numbers", D003, text)
    lr = record.get("lr")
    if lr is not None and not _number(lr):
        raise DataError(f"{where}: \"lr\" is not a number", D003, text)


def _number(v) -> bool:
    # NaN and infinity are numbers a run can report (they plot as gaps); True is not, nor
    # an integer beyond float's range (JSON's integers have no bound)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        float(v)
    except OverflowError:
        return False
    return True


def _kind(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            type(None): "null"}.get(type(value), "number")


def _stored_run(text: str, runs: str | None) -> Run:
    """A run of the store: its folder's report.json (history, details, class names), or,
    for a run that wrote none (stopped, failed), the epochs the store recorded."""
    from ..store.db import Store, folder_of
    from ..store.read import epochs_of
    from ..store.refs import find_run

    row = find_run(text, runs)
    report = Path(row["model"]).parent / "report.json" if row.get("model") else None
    if report is not None and report.is_file():
        found = resolve_run(str(report))
        return Run(f"run {row['id']}", found.history, found.details, found.class_names)
    store = Store.open(folder_of(runs), create=False)
    try:
        history = [{"epoch": e["epoch"], "train": e["train"], "validation": e["validation"]
                    or None, "seconds": e["seconds"], "lr": e["lr"],
                    **({"penalty": e["penalty"]} if e["penalty"] is not None else {})}
                   for e in epochs_of(store, row["id"])]
    finally:
        store.close()
    if not history:
        raise DataError(f"run {row['id']} has no epochs to plot ({row['shown']})", D003,
                        text)
    return Run(f"run {row['id']}", history, {}, None)
