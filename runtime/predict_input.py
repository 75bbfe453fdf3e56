"""What `Program.predict` accepts: a batch of numeric, finite samples of a known shape.

The compiled kernel reads exactly the model's input size per row and cannot tell a single
sample [64] from a batch of 64 one-value samples, so the shape is checked here, before any
conversion: a sample is shaped like the model's `input` or, when the data is loaded, like the
data source's samples (which the data's conversion turns into the model's input).
"""
from __future__ import annotations

import numpy as np


def _shape_text(shape) -> str:
    return "[N, " + ", ".join(str(int(d)) for d in shape) + "]"


def checked(x, model_shape, data_shape=None, missing: bool = False) -> np.ndarray:
    """`x` as float32 [N, *shape]; ValueError (wrong shape, NaN or infinite values) or
    TypeError (not numbers) with what was expected. `missing`: the data block imputes
    missing values, so a NaN is one (filled as the training data's are), not an error."""
    shapes = [tuple(int(d) for d in model_shape)]
    if data_shape is not None and tuple(data_shape) != shapes[0]:
        shapes.append(tuple(int(d) for d in data_shape))
    expected = _shape_text(shapes[0]) + (
        f" (the model's input) or {_shape_text(shapes[1])} (the data's samples)"
        if len(shapes) > 1 else "")
    try:
        array = np.asarray(x)
    except ValueError as err:       # ragged nested lists
        raise ValueError(f"predict takes a batch of samples shaped {expected}; got "
                         f"{type(x).__name__} that is not a rectangular array ({err})") from None
    if array.dtype.kind == "O":     # Python numbers in an object array: as floats, or refused
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if array.dtype.kind not in "biuf":
        raise TypeError(f"predict takes numbers; got an array of dtype {array.dtype} "
                        f"(convert strings to numbers first)")
    if array.ndim < 1 or tuple(array.shape[1:]) not in shapes:
        one = " (one sample? pass x[None])" if tuple(array.shape) in shapes else ""
        raise ValueError(f"predict takes a batch of samples shaped {expected}; got an array "
                         f"of shape {tuple(array.shape)}{one}")
    with np.errstate(over="ignore"):
        values = np.asarray(array, dtype=np.float32)
    wrong = np.isinf(values) if missing else ~np.isfinite(values)
    if array.size and wrong.any():
        row = int(np.flatnonzero(wrong.reshape(len(values), -1).any(axis=1))[0])
        bad = array.reshape(len(array), -1)[row]
        as64 = np.asarray(bad, np.float64)
        value = bad[np.isinf(as64) if missing else ~np.isfinite(as64)][:1]
        what = f"{value[0]}" if value.size else "a value beyond float32's range"
        raise ValueError(f"predict: sample {row} holds {what}; every input must be a finite "
                         f"number")
    return values
