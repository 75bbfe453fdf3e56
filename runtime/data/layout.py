"""How stored samples become the samples the model reads: the data block's `reshape`, `layout`.

recipec never reshapes data on its own: samples whose shape differs from the model's `input`
are an error (check.py), unless the recipe says how to read them. `reshape = [1, 8, 8]` reads
each sample's values, in row-major order, as that shape (the count must match);
`layout = hwc` says samples are stored [H, W, C] (channels last) and converts them once, at
load, to the [C, H, W] the model uses. `reshape` comes first, so flat channels-last rows take
`reshape = [32, 32, 3]  layout = hwc`. The one implicit conversion, a rank-1 `input` over
samples of any shape (flattened row-major), needs no copy and is check.py's rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import D003, DataError


def _shape(shape) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


@dataclass(frozen=True)
class Conversion:
    stored: tuple[int, ...]                 # per-sample shape as the source holds it
    reshape: tuple[int, ...] | None = None
    layout: str = "chw"

    @property
    def shape(self) -> tuple[int, ...]:
        """Per-sample shape after the conversion."""
        shape = self.reshape if self.reshape is not None else self.stored
        if self.layout == "hwc":
            h, w, c = shape
            return (c, h, w)
        return tuple(shape)

    @property
    def identity(self) -> bool:
        return self.shape == self.stored and self.layout == "chw"

    def apply(self, x: np.ndarray) -> np.ndarray:
        """[N, *stored] -> [N, *shape]; `x` itself when nothing changes."""
        if self.identity:
            return x
        n = x.shape[0]
        if self.reshape is not None:
            x = x.reshape((n,) + self.reshape)
        if self.layout == "hwc":      # one copy, so the kernels read contiguous channels
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        return x


def conversion(stored: tuple[int, ...], reshape: tuple[int, ...] | None, layout: str,
               origin: str, path: str | None = None) -> Conversion:
    """The checked conversion of samples of shape `stored` (from `origin`)."""
    stored = tuple(int(d) for d in stored)
    if layout not in ("chw", "hwc"):
        raise ValueError(f"unknown layout {layout!r}; expected chw or hwc")
    if reshape is not None:
        reshape = tuple(int(d) for d in reshape)
        want, have = math.prod(reshape), math.prod(stored)
        if want != have:
            raise DataError(f"reshape = {_shape(reshape)} holds {want} values per sample, but "
                            f"the samples of {origin} have shape {_shape(stored)} ({have} "
                            f"values)", D003, path, key="reshape",
                            hint=f"give a shape of {have} values, or remove `reshape`")
    shape = reshape if reshape is not None else stored
    if layout == "hwc" and len(shape) != 3:
        what = (f"reshaped to {_shape(shape)}" if reshape is not None
                else f"of {origin} have shape {_shape(shape)}")
        raise DataError(f"layout = hwc needs samples of shape [H, W, C]; the samples {what}",
                        D003, path, key="layout",
                        hint="remove `layout = hwc` (channels-first [C, H, W] is the default), "
                             "or add `reshape = [H, W, C]` to read each sample as an image")
    return Conversion(stored, reshape, layout)
