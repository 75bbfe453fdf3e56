"""The progress output in both modes, driven with fake epoch records and a fake clock (no
kernel): on a terminal a bar per epoch redrawn at each chunk and replaced by the epoch's plain
line; in a log exactly one plain line per epoch, as before the bar existed."""
from __future__ import annotations

import io
import re

from rich.console import Console

from recipec.runtime.program import EpochRecord, History
from recipec.runtime.progress import ProgressLine

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\r|\n|[^\x1b\r\n]+")


def screen(raw: str) -> list[str]:
    """What a terminal shows after `raw`: \\r goes back to column 0, ESC[2K erases the line,
    text overwrites from the cursor, colours are dropped."""
    lines, line, col = [], "", 0
    for token in ANSI.findall(raw):
        if token == "\n":
            lines.append(line)
            line, col = "", 0
        elif token == "\r":
            col = 0
        elif token == "\x1b[2K":
            line = ""
        elif token.startswith("\x1b["):
            continue
        else:
            line = line[:col].ljust(col) + token + line[col + len(token):]
            col += len(token)
    return lines + ([line] if line else [])


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _records():
    return [EpochRecord(1, {"loss": 0.5, "accuracy": 0.9}, {"loss": 0.6, "accuracy": 0.8},
                        2.0, 400, 0.1),
            EpochRecord(2, {"loss": 0.4, "accuracy": 0.95}, {"loss": 0.55, "accuracy": 0.85},
                        2.0, 400, 0.05, penalty=0.0123)]


def _drive(progress: ProgressLine, clock: Clock, snapshots: list | None = None):
    """Two epochs of 400 steps in chunks of 100 steps, each taking 0.5 s."""
    progress.clock = clock
    progress.start(None, 2, 400)
    for epoch, record in enumerate(_records()):
        for step in (100, 200, 300, 400):
            clock.now += 0.5
            progress.chunk(epoch, step, 0.5 - step / 1e4, 0.9)
            if snapshots is not None:
                snapshots.append(progress.console.file.getvalue())
        progress.epoch_end(record)
    history = History(epochs=_records(), train_seconds=4.0, steps=800)
    progress.finish(history)


PLAIN = ["epoch 1/2  200 steps/s  loss 0.5000  accuracy 0.9000  val_loss 0.6000  "
         "val_accuracy 0.8000",
         "epoch 2/2  200 steps/s  loss 0.4000  accuracy 0.9500  val_loss 0.5500  "
         "val_accuracy 0.8500  penalty 0.0123",
         "trained 800 steps in 4.00 s (200 steps/s)"]


def test_a_log_gets_exactly_one_plain_line_per_epoch():
    out = io.StringIO()
    progress = ProgressLine(out)
    assert not progress.live
    _drive(progress, Clock())
    assert out.getvalue() == "\n".join(PLAIN) + "\n"      # no bar, no \r, no escape


def test_a_terminal_gets_a_bar_redrawn_at_each_chunk():
    out = io.StringIO()
    progress = ProgressLine(console=Console(file=out, force_terminal=True, width=120,
                                            highlight=False, soft_wrap=True))
    assert progress.live
    snapshots = []
    _drive(progress, Clock(), snapshots)
    # after the first chunk of epoch 1: 100 of 400 steps at 200 steps/s, 300 left: 1.5 s
    [bar] = screen(snapshots[0])
    assert bar.startswith("epoch 1/2 ━") and "╺" in bar, bar
    assert "100/400  200 steps/s  ETA 0:02  loss 0.4900  acc 0.9000" in bar, bar
    assert len(bar) <= 119
    # the third chunk's bar replaced the first two: one line on the screen, its own numbers
    [bar] = screen(snapshots[2])
    assert "300/400" in bar and "100/400" not in bar and "ETA 0:00" in bar, bar
    # epoch 2's bar stands below epoch 1's plain line, which took the bar's place
    first, bar = screen(snapshots[4])
    assert first == PLAIN[0]
    assert bar.startswith("epoch 2/2 ") and "100/400" in bar
    # at the end nothing of the bars is left: the same lines a log gets
    assert screen(out.getvalue()) == PLAIN
    assert "\x1b[2K" in out.getvalue()                   # erased, not padded with spaces


def test_the_bar_fits_a_narrow_terminal():
    out = io.StringIO()
    progress = ProgressLine(console=Console(file=out, force_terminal=True, width=50))
    progress.clock = Clock()
    progress.start(None, 30, 1000)
    progress.clock.now += 1.0
    progress.chunk(11, 250, 0.25, None)
    [bar] = screen(out.getvalue())
    assert bar.startswith("epoch 12/30 ") and len(bar) <= 49, bar
    assert "acc" not in bar                              # a task without accuracy


def test_a_resumed_epoch_counts_only_the_steps_this_process_ran():
    out = io.StringIO()
    progress = ProgressLine(console=Console(file=out, force_terminal=True, width=120))
    progress.clock = clock = Clock()

    class Resumed:                       # the state a checkpoint restored: step 1500, 300 into epoch 4
        class state:
            step = 1500

    progress.start(Resumed, 5, 400)
    clock.now += 1.0
    progress.chunk(3, 350, 0.3, 0.9)      # 50 steps in 1 s, not 350
    [bar] = screen(out.getvalue())
    assert "epoch 4/5 " in bar and "350/400  50 steps/s  ETA 0:01" in bar, bar


def test_stopped_keeps_the_bar_and_ends_its_line():
    out = io.StringIO()
    progress = ProgressLine(console=Console(file=out, force_terminal=True, width=120))
    progress.clock = clock = Clock()
    progress.start(None, 2, 400)
    clock.now += 0.5
    progress.chunk(0, 100, 0.5, None)
    progress.stopped()                     # diverged: the error prints below the bar
    assert out.getvalue().endswith("\n")
    [bar] = screen(out.getvalue())
    assert "100/400" in bar
    plain = io.StringIO()
    quiet = ProgressLine(plain)
    quiet.start(None, 2, 400)
    quiet.chunk(0, 100, 0.5, None)
    quiet.stopped()
    assert plain.getvalue() == ""
