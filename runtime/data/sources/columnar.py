"""What parquet(...) and feather(...) do alike once their file is open: find the label, check
the column types, convert every batch (arrow_columns.py), encode the labels."""
from __future__ import annotations

from typing import Any, Iterable

from ....compiler.tasks import Task
from ...errors import D003, DataError
from ..raw import RawData
from ..targets import encode_targets
from .arrow_columns import Columns, label_index
from .arrow_file import read_errors


def read_batches(schema: Any, rows: int, batches: Iterable[Any], label: str, path: str,
                 kind: str, source: str, task: Task | str, min_classes: int) -> RawData:
    """`batches` (an iterator pyarrow reads lazily) of a file with `schema` and `rows` rows."""
    names = list(schema.names)
    table = Columns(names, label_index(names, str(label), path, path), path, path, rows)
    table.check_types(schema)
    if rows == 0:
        raise DataError(f"{path}: the {kind} file has no rows", D003, path)
    with read_errors(path, kind):
        for batch in batches:
            table.add(batch)
    y, k, class_names = encode_targets(table.label_values(), task, path, path,
                                       where=lambda i: f"row {i}", min_classes=min_classes)
    x = table.features_array()
    desc = f"{source} {path} ({x.shape[0]} rows, {x.shape[1]} features)"
    return RawData(x, y, class_names, k, desc, path, path)
