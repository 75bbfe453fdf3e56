"""Options shared by several registries (the early_stop section and the plateau schedule), in
a module of their own so that a registry can import them without importing the catalog."""
from __future__ import annotations

from .options import Opt

MONITOR = Opt("monitor", "name", "val_loss", doc="loss, accuracy (training) or val_<metric>")
MODE = Opt("mode", "enum", "auto", choices=("auto", "min", "max"),
           doc="auto: max for accuracy-like metrics, min for losses and errors")
