"""`python -m bench.store_cost`: what recording a run in the run store costs `recipec run`.

Times, through the same Recorder `recipec run` uses (runtime/store/recorder.py), the median
of: recording one epoch (one transaction: the epoch row and its metric rows, here train and
validation loss and accuracy), opening a run (the store opened, the environment collected,
the row inserted) and closing it (the final metrics written, the connection closed). The
store grows as it would: --runs runs of --epochs epochs each, in a temporary folder.

    python -m bench.store_cost                 # 100 runs x 50 epochs
    python -m bench.store_cost --held          # another connection open meanwhile

The last connection to close checkpoints SQLite's write-ahead log into the file and removes
it, and the next opener makes it again: that is most of a lone run's open and close time;
with another process holding the store open (--held: a second connection) they are cheap.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from argparse import Namespace
from types import SimpleNamespace

RECIPE = """recipe cost
data { source = iris()  validation = 0.25 }
model { input [4]  dense(8) relu  dense(3) }
loss = cross_entropy
optimizer = adam(lr = 0.01)
train { epochs = 2  batch = 16  seed = 0 }
metrics = [accuracy]
"""


def main(argv=None) -> int:
    import recipec
    from recipec.runtime.store.recorder import Recorder

    p = argparse.ArgumentParser(prog="python -m bench.store_cost")
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--held", action="store_true",
                   help="keep a second connection open, as another run would")
    opts = p.parse_args(argv)
    recipe = recipec.loads(RECIPE, "cost.recipe")
    report = {"final": {"validation": {"loss": 0.3, "accuracy": 0.9},
                        "train": {"loss": 0.2, "accuracy": 0.95}},
              "timings": {"train_seconds": 1.0, "steps": 100}}
    opening, epochs, closing = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        args = Namespace(runs=folder, set=[], no_store=False)
        Recorder.open(recipe, args).__exit__(None, None, None)   # imports, the file made
        if opts.held:
            from recipec.runtime.store.db import Store
            other = Store.open(folder, create=True)
        for _ in range(opts.runs):
            t0 = time.perf_counter()
            record = Recorder.open(recipe, args)
            opening.append(time.perf_counter() - t0)
            for e in range(1, opts.epochs + 1):
                epoch = SimpleNamespace(epoch=e, train={"loss": 1 / e, "accuracy": 0.5},
                                        validation={"loss": 1 / e, "accuracy": 0.5},
                                        seconds=0.1, steps=100, lr=0.01, penalty=None)
                t0 = time.perf_counter()
                record.epoch(epoch)
                epochs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            record.finish(report)
            record.__exit__(None, None, None)
            closing.append(time.perf_counter() - t0)
        if opts.held:
            other.close()

    def ms(values):
        return f"{statistics.median(values) * 1000:.3f} ms (p90 " \
               f"{statistics.quantiles(values, n=10)[-1] * 1000:.3f} ms)"

    print(f"{opts.runs} runs x {opts.epochs} epochs, {sys.platform}"
          + (", another connection open" if opts.held else ""))
    print(f"epoch recorded   median {ms(epochs)}")
    print(f"run opened       median {ms(opening)}")
    print(f"run closed       median {ms(closing)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
