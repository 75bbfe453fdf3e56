"""The run store: every `recipec run` recorded in one SQLite file, `<runs>/runs.sqlite`.

    db.py           opening it: WAL, busy timeout, errors as StoreError naming the file
    schema.py       its tables and version, and refusing a file that is not one
    write.py        a run opened, an epoch recorded, a run closed (one transaction each)
    read.py         runs listed, one run, its epochs, the main metric
    recorder.py     what `recipec run` calls: open, epochs (a progress tee), close
    environment.py  versions, threads, BLAS, CPU, host of a run
    liveness.py     a `running` row whose process is gone is shown as `lost`
    flat.py         a checked recipe as key -> value, and the values that differ
    commands.py     `recipec runs`, `runs show`, `runs compare`
    tables.py       rich tables on a terminal, plain text otherwise
"""
