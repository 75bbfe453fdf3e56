"""Tables for `recipec runs`: rich's on a terminal, plain aligned text otherwise (a pipe, a
file, a test), so that `recipec runs | grep finished` and a log read as text."""
from __future__ import annotations

import sys


def table(headers: list[str], rows: list[list[str]], *, right: set[int] = frozenset(),
          title: str | None = None, stream=None) -> None:
    """Print `rows` under `headers`; columns whose index is in `right` align right."""
    stream = stream or sys.stdout
    if stream.isatty():
        from rich.console import Console
        from rich.table import Table

        t = Table(title=title, title_justify="left", header_style="bold")
        for i, h in enumerate(headers):
            t.add_column(h, justify="right" if i in right else "left", overflow="fold")
        for row in rows:
            t.add_row(*row)
        Console(file=stream, highlight=False).print(t)
        return
    print(plain(headers, rows, right=right, title=title), file=stream)


def plain(headers: list[str], rows: list[list[str]], *, right=frozenset(),
          title: str | None = None) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    lines = ([title] if title else []) + [line(headers)] + [line(r) for r in rows]
    return "\n".join(lines)


def seconds_text(seconds: float | None) -> str:
    """12.3 s, 4 min 05 s, 2 h 07 min."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def when(timestamp: float | None) -> str:
    """A Unix time as local date and time, to the second."""
    import time

    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.4g}"
    return str(value)
