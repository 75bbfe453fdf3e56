"""Data cleaning a recipe's data block may ask for: `impute = ...` and `outliers = ...`.

Schemas only (the checker validates them without importing the runtime); the fitting and
applying live in runtime/data/cleaning.py, by the same names and options. Both are fitted
on the training split only and applied alike to every split and to `predict()` inputs.
"""
from __future__ import annotations

from .options import Choice, Opt

# missing feature values (an empty CSV/Parquet cell, NaN in an .npz/.npy float array)
IMPUTE = {c.name: c for c in (
    Choice("none", doc="a missing value is an error (D003) naming its file, line and column"),
    Choice("mean", doc="fill with the feature's mean over the training split"),
    Choice("median", doc="fill with the feature's exact median over the training split"),
    Choice("constant", (Opt("value", "float", required=True, positional=True),),
           doc="fill with this value"),
    Choice("drop", doc="leave out every row (of every split) with a missing value"),
)}

_Z = Opt("z", "float", 3.0, positional=True, min=0.0, min_inclusive=False,
         doc="how many standard deviations from the training mean a value may be")
OUTLIERS = {c.name: c for c in (
    Choice("none", doc="values are used as they are"),
    Choice("clip", (_Z,), doc="bound every value to mean ± z·std of the training split"),
    Choice("drop", (_Z,), doc="leave out training rows with any |z-score| > z"),
    Choice("iqr", (Opt("k", "float", 1.5, positional=True, min=0.0, min_inclusive=False),),
           doc="bound every value to [Q1 - k·IQR, Q3 + k·IQR] of the training split"),
)}
