"""A matplotlib Figure on the Agg canvas, and its atomic write.

The figures are `matplotlib.figure.Figure` objects with an Agg canvas of their own, never
pyplot's: nothing here opens a window or registers a figure in pyplot's global list (a
caller's notebook keeps its backend and figures). The backend is still set to Agg when pyplot
has not been imported yet, so that anything importing it later in this process (a user's
script calling recipec) gets no GUI either.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# what the file name's suffix says to write, and the metadata that would make two plots of
# the same runs differ (the creation date)
SUFFIXES = {".png": ("png", {}), ".svg": ("svg", {"Date": None}),
            ".pdf": ("pdf", {"CreationDate": None})}


def new_figure(width: float, height: float, layout: str = "constrained"):
    """A Figure of that size in inches, laid out by matplotlib ("compressed" for an image
    with its colorbar: "constrained" leaves the colorbar's labels outside the figure)."""
    import matplotlib
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout=layout)
    FigureCanvasAgg(figure)
    return figure


def format_of(path: str | Path) -> str:
    """'png', 'svg' or 'pdf' from the suffix; a ValueError naming the suffixes otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path}: a figure is written as {', '.join(SUFFIXES)} (by the file "
                         f"name's suffix), not {suffix or 'a name without a suffix'}")
    return SUFFIXES[suffix][0]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(figure, path: str | Path) -> Path:
    """Write `figure` to a temporary file beside `path`, then rename it there: a reader (a
    browser reloading the PNG during a run) never sees half a figure."""
    path = Path(path)
    fmt = format_of(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        figure.savefig(tmp, format=fmt, metadata=SUFFIXES[path.suffix.lower()][1])
        os.chmod(tmp, 0o666 & ~_umask())     # mkstemp's 0600 would hide it from a web server
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
