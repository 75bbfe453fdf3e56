"""What parquet(...) and feather(...) do alike around their reading: find the label, check the
column types before anything is read, and encode the labels after (arrow_columns.py)."""
from __future__ import annotations

from typing import Any

from ....compiler.tasks import Task
from ...errors import D003, DataError
from ..raw import RawData
from ..targets import encode_targets
from .arrow_columns import Columns, label_index


def start(schema: Any, rows: int | None, label: str, path: str, kind: str) -> Columns:
    """The columns to fill from a file of `schema` with `rows` rows (None: not known before
    reading), its types checked."""
    names = list(schema.names)
    table = Columns(names, label_index(names, str(label), path, path), path, path, rows or 0)
    table.check_types(schema)
    if rows == 0:
        raise DataError(f"{path}: the {kind} file has no rows", D003, path)
    return table


def finish(table: Columns, path: str, kind: str, source: str, task: Task | str,
           min_classes: int) -> RawData:
    if table.rows == 0:
        raise DataError(f"{path}: the {kind} file has no rows", D003, path)
    y, k, class_names = encode_targets(table.label_values(), task, path, path,
                                       where=lambda i: f"row {i}", min_classes=min_classes)
    x = table.features_array()
    desc = f"{source} {path} ({x.shape[0]} rows, {x.shape[1]} features)"
    return RawData(x, y, class_names, k, desc, path, path, text=table.text_columns(),
                   feature_names=tuple(table.names[j] for j in table.features))
