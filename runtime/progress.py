"""The live progress line (rich) and the per-epoch log lines.

On a terminal the current epoch is one line rewritten in place; in a log (CI, a pipe) each epoch
prints one line. Called only at chunk and epoch boundaries.
"""
from __future__ import annotations

import sys
import time

from rich.console import Console


def _fmt(metrics: dict[str, float] | None, prefix: str = "") -> str:
    if not metrics:
        return ""
    return "  ".join(f"{prefix}{k} {v:.4f}" for k, v in metrics.items())


class ProgressLine:
    def __init__(self, stream=None):
        self.console = Console(file=stream or sys.stderr, highlight=False, soft_wrap=True)
        self.live = self.console.is_terminal

    def start(self, program, epochs: int, steps_per_epoch: int):
        self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
        self.t_epoch = time.perf_counter()
        self.steps_done = 0

    def chunk(self, epoch: int, step_in_epoch: int, loss: float, accuracy: float | None):
        if not self.live:
            return
        rate = step_in_epoch / max(time.perf_counter() - self.t_epoch, 1e-9)
        acc = f"  acc {accuracy:.4f}" if accuracy is not None else ""
        self.console.print(f"epoch {epoch + 1}/{self.epochs}  step {step_in_epoch}/"
                           f"{self.steps_per_epoch}  {rate:,.0f} steps/s  loss {loss:.4f}{acc}",
                           end="\r")

    def epoch_end(self, record):
        rate = record.steps / max(record.seconds, 1e-9)
        line = (f"epoch {record.epoch}/{self.epochs}  {rate:,.0f} steps/s  "
                f"{_fmt(record.train)}  {_fmt(record.validation, 'val_')}")
        if record.penalty is not None:      # the l1/l2 penalty, beside the data loss
            line = line.rstrip() + f"  penalty {record.penalty:.4f}"
        self.console.print(line.rstrip() + (" " * 8 if self.live else ""))
        self.t_epoch = time.perf_counter()

    def stopped(self):
        """Training stopped mid-epoch (it diverged): end the line being rewritten in place, so
        that the error prints below it."""
        if self.live:
            self.console.print()

    def finish(self, history):
        self.console.print(f"trained {history.steps} steps in {history.train_seconds:.2f} s "
                           f"({history.steps_per_second:,.0f} steps/s)")
