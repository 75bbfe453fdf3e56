"""A Parquet file: numeric feature columns and one label column, read row group by row group
(never the whole table at once)."""
from __future__ import annotations

from pathlib import Path

from ....compiler.tasks import CLASSIFICATION, Task
from ...errors import D002, DataError
from ..raw import RawData, resolve_path
from . import register_reader
from .arrow_file import check_file, read_errors, starts_with
from .columnar import read_batches

KIND = "Parquet"
BATCH_ROWS = 65_536          # rows per batch within a row group (pyarrow's default)


def load_parquet(path: str, label: str = "label", *, task: Task | str = CLASSIFICATION,
                 base_dir: str | Path = ".", min_classes: int = 2) -> RawData:
    file = resolve_path(path, base_dir)
    if starts_with(file, b"PARE"):
        raise DataError(f"{path}: an encrypted Parquet file, which recipec cannot read",
                        D002, path)
    check_file(file, path, KIND, b"PAR1")
    import pyarrow.parquet as pq

    with read_errors(path, KIND):
        # pre_buffer off: a row group's column chunks are read page by page as the batches
        # need them, not buffered whole first
        parquet = pq.ParquetFile(file, pre_buffer=False, buffer_size=1 << 20)
        schema, rows = parquet.schema_arrow, parquet.metadata.num_rows
    return read_batches(schema, rows, parquet.iter_batches(batch_size=BATCH_ROWS), label, path,
                        KIND, "parquet", task, min_classes)


register_reader("parquet", lambda options, *, task, base_dir, min_classes: load_parquet(
    options["path"], options["label"], task=task, base_dir=base_dir, min_classes=min_classes))
