"""A trained model's preparation of raw inputs, as JSON and arrays: what `Program.predict`
reads from `Data` (the layout conversion, the text columns' categories, imputation fill
values and outlier bounds, the normalization statistics with the input scale folded in, the
class names and the task), and back as a `Data` with no rows.

The arrays go into model.safetensors (`prep/...`), the rest into model.json; nothing here is
fitted again: a model evaluated or used on new data prepares it exactly as its training did.
"""
from __future__ import annotations

import numpy as np

from ...compiler.tasks import TASKS
from ..data.categorical import Category
from ..data.cleaning import Cleaning
from ..data.dataset import Data, Split
from ..data.layout import Conversion

ARRAYS = ("norm_shift", "norm_scale")          # of Data
CLEANING = ("fill", "low", "high")             # of Data.cleaning


def to_state(data: Data) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays named prep/..., JSON-able rest) of `data`'s preparation."""
    arrays = {f"prep/{k}": getattr(data, k) for k in ARRAYS if getattr(data, k) is not None}
    if data.cleaning is not None:
        arrays.update({f"prep/{k}": getattr(data.cleaning, k) for k in CLEANING
                       if getattr(data.cleaning, k) is not None})
    conv = data.conversion
    meta = {
        "task": data.task.name,
        "feature_shape": list(data.feature_shape),
        "target_shape": list(data.target_shape),
        "num_classes": data.num_classes,
        "class_names": list(data.class_names) if data.class_names is not None else None,
        "normalize": data.normalize,
        "scale": data.scale,
        "conversion": None if conv is None else {
            "stored": list(conv.stored), "layout": conv.layout,
            "reshape": list(conv.reshape) if conv.reshape is not None else None},
        "categories": [{"name": c.name, "start": c.start, "values": list(c.values)}
                       for c in data.categories],
        "cleaning": data.cleaning is not None,
        "source": data.source,
        "feature_names": list(data.feature_names) if data.feature_names else None,
    }
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()}, meta


def from_state(arrays: dict[str, np.ndarray], meta: dict) -> Data:
    """The `Data` `to_state` described, with an empty training split (no rows are needed to
    prepare inputs). KeyError/ValueError/TypeError for a description that is not whole."""
    task = TASKS[meta["task"]]
    fs = tuple(int(d) for d in meta["feature_shape"])
    conv = meta["conversion"]
    cleaning = None
    if meta["cleaning"]:
        cleaning = Cleaning(**{k: arrays.get(f"prep/{k}") for k in CLEANING})
    for name, array in arrays.items():
        if name.startswith("prep/") and tuple(array.shape) != fs:
            raise ValueError(f"{name} has shape {list(array.shape)}, the features "
                             f"{list(fs)}")
    empty = Split(np.zeros((0,) + fs, np.float32),
                  np.zeros((0,) + tuple(meta["target_shape"]), task.label_dtype))
    names = meta["class_names"]
    return Data(
        train=empty, validation=None, test=None, feature_shape=fs,
        num_classes=meta["num_classes"],
        class_names=tuple(str(n) for n in names) if names is not None else None,
        source=str(meta["source"]),
        norm_shift=arrays.get("prep/norm_shift"), norm_scale=arrays.get("prep/norm_scale"),
        normalize=str(meta["normalize"]), task=task, scale=float(meta["scale"]),
        conversion=None if conv is None else Conversion(
            tuple(conv["stored"]), tuple(conv["reshape"]) if conv["reshape"] else None,
            conv["layout"]),
        cleaning=cleaning,
        categories=tuple(Category(c["name"], int(c["start"]), tuple(c["values"]))
                         for c in meta["categories"]),
        # (absent from models saved before it was stored)
        feature_names=tuple(str(n) for n in meta["feature_names"])
        if meta.get("feature_names") else None)
