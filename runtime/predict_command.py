"""`recipec predict MODEL INPUT.csv|INPUT.npz|INPUT.npy -o out.csv`: one row per sample:
`class` (its name) and one probability column per class for classification; `class` and
`probability` (of the second class) for a binary model; `output` (or output_0, output_1, ...)
for regression. The output is written atomically (a temporary file, then renamed)."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np


def predict_command(args) -> int:
    from .checkpoint import write_bytes_atomic
    from .errors import ModelError
    from .model import load_model, resolve_model
    from .model.inputs import read_inputs
    from .report import unwritable_reason

    if why := unwritable_reason(args.output):
        print(f"recipec: error: -o {args.output}: {why}", file=sys.stderr)
        return 2
    model = load_model(resolve_model(args.model, getattr(args, "runs", None)))
    source = model.recipe.data.source
    label = str(source.options.get("label", "label")) if source.kind in (
        "csv", "parquet", "feather") else "label"
    x = read_inputs(args.input, model.preparation, label)
    try:
        out = model.predict(x)
    except (ValueError, TypeError) as err:      # Program.predict's messages, for this file
        raise ModelError(f"{args.input}: {err}", "M003") from None
    text = table(out, model.task, model.class_names)
    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(target, text.encode())
    print(f"{args.output}: {len(out)} predictions", file=sys.stderr)
    return 0


def table(out: np.ndarray, task, names) -> str:
    """The predictions as CSV text (float32 values written exactly, %.9g)."""
    buf = io.StringIO()
    out = out.reshape(len(out), -1)
    if task.name == "classification":
        names = list(names) if names is not None else [str(i) for i in range(out.shape[1])]
        buf.write(",".join(["class"] + [_cell(n) for n in names]) + "\n")
        for row in out:
            buf.write(",".join([_cell(names[int(np.argmax(row))])] +
                               [f"{v:.9g}" for v in row]) + "\n")
    elif task.name == "binary":
        names = list(names) if names is not None else ["0", "1"]
        buf.write("class,probability\n")
        for (p,) in out:
            buf.write(f"{_cell(names[int(p >= 0.5)])},{p:.9g}\n")
    else:
        cols = ["output"] if out.shape[1] == 1 else [f"output_{i}" for i in range(out.shape[1])]
        buf.write(",".join(cols) + "\n")
        for row in out:
            buf.write(",".join(f"{v:.9g}" for v in row) + "\n")
    return buf.getvalue()


def _cell(text: str) -> str:
    text = str(text)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text
