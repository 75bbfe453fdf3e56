"""Figures of runs: training curves (several runs on one figure) and confusion matrices.

matplotlib is imported by the first figure drawn, never by importing this package, so that
only `recipec plot` pays for it (about 0.3 s, and a font cache built once per machine).

    plot_curves([("adam", report["history"]), ("sgd", other["history"])], "curves.png")
    plot_confusion(report["details"]["validation"]["confusion"], names, "cm.png",
                   normalize="true")
"""
from .confusion import confusion_figure, plot_confusion
from .curves import curves_figure, plot_curves
from .figure import SUFFIXES

__all__ = ["SUFFIXES", "confusion_figure", "curves_figure", "plot_confusion", "plot_curves"]
