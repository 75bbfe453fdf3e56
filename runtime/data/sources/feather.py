"""A Feather (Arrow IPC file format, .feather or .arrow) file: numeric feature columns and one
label column, read record batch by record batch."""
from __future__ import annotations

from pathlib import Path

from ....compiler.tasks import CLASSIFICATION, Task
from ...errors import D002, DataError
from ..raw import RawData, resolve_path
from . import register_reader
from .arrow_columns import memory_pool
from .arrow_file import check_file, read_errors, starts_with
from .columnar import finish, start

KIND = "Feather (Arrow IPC)"


def load_feather(path: str, label: str = "label", *, task: Task | str = CLASSIFICATION,
                 base_dir: str | Path = ".", min_classes: int = 2) -> RawData:
    file = resolve_path(path, base_dir)
    if starts_with(file, b"FEA1"):
        raise DataError(f"{path}: a Feather version 1 file, which recipec cannot read; save "
                        f"it again as version 2 (pyarrow.feather.write_feather's default)",
                        D002, path)
    if starts_with(file, b"\xff\xff\xff\xff"):
        raise DataError(f"{path}: an Arrow IPC stream, not an Arrow IPC file; write it with "
                        f"pyarrow.ipc.new_file or pyarrow.feather.write_feather", D002, path)
    check_file(file, path, KIND, b"ARROW1")
    import pyarrow as pa

    # a plain file, not a memory map: each batch is read (and decompressed) in turn and freed
    # after, rather than the whole file's pages kept mapped
    with read_errors(path, KIND), pa.OSFile(str(file), memory_pool=memory_pool()) as source:
        reader = pa.ipc.open_file(source, options=pa.ipc.IpcReadOptions(use_threads=True))
        # the row count from the batches' metadata (a recent pyarrow's); without it the
        # array grows batch by batch
        rows = reader.count_rows() if hasattr(reader, "count_rows") else None
        table = start(reader.schema, rows, label, path, KIND)
        for i in range(reader.num_record_batches):
            table.add(reader.get_batch(i))
    return finish(table, path, KIND, "feather", task, min_classes)


register_reader("feather", lambda options, *, task, base_dir, min_classes: load_feather(
    options["path"], options["label"], task=task, base_dir=base_dir, min_classes=min_classes))
