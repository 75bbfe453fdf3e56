"""The trials as they run: on a terminal a live table (rich, redrawn only when a trial starts
or ends: no background thread competes with the kernels), in a log one line per trial."""
from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

SHOWN = 12          # the newest trials the live table keeps


class TrialTable:
    def __init__(self, space, metric: str, quiet: bool = False, stream=None, label: str = "",
                 live: bool = True):
        self.space, self.metric, self.quiet, self.label = space, metric, quiet, label
        self.console = Console(file=stream or sys.stderr, highlight=False, soft_wrap=True)
        self.rows: dict[int, list[str]] = {}
        self.live = None
        if live and not quiet and self.console.is_terminal:
            from rich.live import Live
            self.live = Live(console=self.console, auto_refresh=False, transient=False)
            self.live.start()

    def started(self, number: int, values: dict) -> None:
        self.rows[number] = [str(number), "running", "", ""] + [
            " ".join(values[d].split()) for d in self.space]
        self._draw()

    def ended(self, number: int, outcome) -> None:
        row = self.rows[number]
        row[1] = outcome.state
        row[2] = "" if outcome.value is None else f"{outcome.value:.4f}"
        row[3] = f"{outcome.seconds:.1f} s"
        if self.live is None and not self.quiet:
            values = "  ".join(f"{d.name}={v}" for d, v in zip(self.space, row[4:]))
            note = f" ({outcome.note})" if outcome.note else ""
            shown = f"{self.metric} {row[2]}" if row[2] else outcome.state + note
            self.console.print(f"{self.label}trial {number}  {shown}  {values}  {row[3]}")
        self._draw()

    def _draw(self) -> None:
        if self.live is None:
            return
        table = Table(title=f"trials ({self.metric})", expand=False)
        for name in ("trial", "state", self.metric, "time") + tuple(d.name for d in self.space):
            table.add_column(name, justify="right" if name in ("trial", "time") else "left")
        for number in sorted(self.rows)[-SHOWN:]:
            table.add_row(*self.rows[number])
        self.live.update(table, refresh=True)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
