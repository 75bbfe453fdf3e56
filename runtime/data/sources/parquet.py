"""A Parquet file: numeric feature columns and one label column, read column by column, each
row group by row group (never the whole table at once)."""
from __future__ import annotations

from pathlib import Path

from ....compiler.tasks import CLASSIFICATION, Task
from ...errors import D002, D003, DataError
from ..raw import RawData, resolve_path
from . import register_reader
from .arrow_file import check_file, read_errors, starts_with
from .columnar import finish, start

KIND = "Parquet"
BATCH_ROWS = 65_536          # rows per batch of one column (pyarrow's default)
BUFFER_BYTES = 1 << 20       # the read buffer (pre_buffer off: pages are read as needed)


def load_parquet(path: str, label: str = "label", *, task: Task | str = CLASSIFICATION,
                 base_dir: str | Path = ".", min_classes: int = 2) -> RawData:
    file = resolve_path(path, base_dir)
    if starts_with(file, b"PARE"):
        raise DataError(f"{path}: an encrypted Parquet file, which recipec cannot read",
                        D002, path)
    check_file(file, path, KIND, b"PAR1")
    import pyarrow.parquet as pq

    with read_errors(path, KIND):
        parquet = pq.ParquetFile(file, pre_buffer=False, buffer_size=BUFFER_BYTES)
    with parquet:
        table = start(parquet.schema_arrow, parquet.metadata.num_rows, label, path, KIND)
        twice = sorted({n for n in table.names if table.names.count(n) > 1})
        if twice:                                  # pyarrow reads a column by its name
            raise DataError(f"{path}: the file has more than one column named '{twice[0]}'; "
                            f"give each column its own name", D003, path)
        # NOTE: one column at a time, all its row groups, straight into its place in the
        # float32 rows. A reader of every column holds each one's dictionary page and a batch
        # of each: on the 500k x 21 table 105-187 MiB above the interpreter (by batch size and
        # allocator) against 77 MiB this way, for 38 MiB of features (bench/csv_load.py).
        with read_errors(path, KIND):
            for j in table.features + [table.label]:
                batches = parquet.iter_batches(batch_size=BATCH_ROWS, columns=[table.names[j]],
                                               use_threads=False)
                chunks = (batch.column(0) for batch in batches)
                if j == table.label:
                    table.add_labels(chunks)
                else:
                    table.add_column(j, chunks)
    return finish(table, path, KIND, "parquet", task, min_classes)


register_reader("parquet", lambda options, *, task, base_dir, min_classes: load_parquet(
    options["path"], options["label"], task=task, base_dir=base_dir, min_classes=min_classes))
