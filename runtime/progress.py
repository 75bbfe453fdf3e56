"""The live progress bar (rich) and the per-epoch log lines.

On a terminal the current epoch is a bar rewritten in place at each chunk boundary (steps done
of the epoch's steps, steps/s, the epoch's ETA, the running loss and accuracy); at the epoch's
end the bar is erased and the plain per-epoch line printed where it was. In a log (CI, a pipe)
each epoch prints that one plain line and nothing else. Called only at chunk and epoch
boundaries: no thread, no timer (rich's Live would refresh from a thread of its own, which on
a 2-core machine competes with the kernels, and would leave the cursor hidden and stderr
redirected when a signal ends the run between two calls).
"""
from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.control import Control
from rich.progress_bar import ProgressBar
from rich.segment import ControlType
from rich.text import Text

BAR_WIDTH = (10, 40)      # the bar's narrowest and widest; it takes what the text leaves
# back to the line's first column and erase all of it: the next bar, or the epoch's line,
# replaces the previous bar whatever their lengths
_ERASE = Control((ControlType.CARRIAGE_RETURN,), (ControlType.ERASE_IN_LINE, 2))


def _fmt(metrics: dict[str, float] | None, prefix: str = "") -> str:
    if not metrics:
        return ""
    return "  ".join(f"{prefix}{k} {v:.4f}" for k, v in metrics.items())


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class ProgressLine:
    """`stream`: where the lines go (stderr by default); `console`: a rich Console to use
    instead (tests pass one with force_terminal=True to see the live bar)."""

    clock = staticmethod(time.perf_counter)     # tests give it a fake clock

    def __init__(self, stream=None, console: Console | None = None):
        self.console = console or Console(file=stream or sys.stderr, highlight=False,
                                          soft_wrap=True)
        self.live = self.console.is_terminal
        self.shown = False          # a bar is on the screen (the cursor at its first column)

    def start(self, program, epochs: int, steps_per_epoch: int):
        self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
        self.t_epoch = self.clock()
        # a resumed run starts mid-epoch: its rate counts only the steps this process ran
        step = getattr(getattr(program, "state", None), "step", 0) or 0
        self.first_step = step % steps_per_epoch if steps_per_epoch else 0

    def chunk(self, epoch: int, step_in_epoch: int, loss: float, accuracy: float | None):
        if not self.live:
            return
        elapsed = max(self.clock() - self.t_epoch, 1e-9)
        rate = max(step_in_epoch - self.first_step, 0) / elapsed
        left = self.steps_per_epoch - step_in_epoch
        eta = _duration(left / rate) if rate > 0 else "-:--"
        acc = f"  acc {accuracy:.4f}" if accuracy is not None else ""
        self._show(self.bar(epoch, step_in_epoch,
                            f"{step_in_epoch}/{self.steps_per_epoch}  {rate:,.0f} steps/s  "
                            f"ETA {eta}  loss {loss:.4f}{acc}"))

    def bar(self, epoch: int, step_in_epoch: int, tail: str) -> Text:
        """One line: `epoch 3/30 ━━━━━━╺━━━━ 120/450  2,345 steps/s  ETA 0:03  loss ...`."""
        head, tail = f"epoch {epoch + 1}/{self.epochs} ", f" {tail}"
        width = self.console.width - 1 - len(head) - len(tail)
        bar = ProgressBar(total=max(self.steps_per_epoch, 1), completed=step_in_epoch,
                          width=min(max(width, BAR_WIDTH[0]), BAR_WIDTH[1]))
        drawn = Text.assemble(*((s.text, s.style) for s in self.console.render(bar)
                                if not s.control))
        line = Text.assemble(head, drawn, tail)
        # one column short of the width: a line that fills it wraps in some terminals
        line.truncate(max(self.console.width - 1, 1), overflow="crop")
        return line

    def _show(self, line: Text):
        if self.shown:
            self.console.control(_ERASE)
        self.console.print(line, end="\r", no_wrap=True, overflow="crop", soft_wrap=False)
        self.shown = True

    def epoch_end(self, record):
        rate = record.steps / max(record.seconds, 1e-9)
        line = (f"epoch {record.epoch}/{self.epochs}  {rate:,.0f} steps/s  "
                f"{_fmt(record.train)}  {_fmt(record.validation, 'val_')}")
        if record.penalty is not None:      # the l1/l2 penalty, beside the data loss
            line = line.rstrip() + f"  penalty {record.penalty:.4f}"
        if self.shown:                      # the epoch's line takes the bar's place
            self.console.control(_ERASE)
            self.shown = False
        self.console.print(line.rstrip())
        self.t_epoch = self.clock()
        self.first_step = 0

    def stopped(self):
        """Training stopped mid-epoch (it diverged): end the bar's line, left as it was (it
        says where the run stood), so that the error prints below it."""
        if self.live and self.shown:
            self.console.print()
            self.shown = False

    def finish(self, history):
        if self.shown:                     # fit(steps=N) may end mid-epoch
            self.console.print()
            self.shown = False
        self.console.print(f"trained {history.steps} steps in {history.train_seconds:.2f} s "
                           f"({history.steps_per_second:,.0f} steps/s)")
