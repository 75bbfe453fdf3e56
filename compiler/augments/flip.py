"""flip: mirror each enabled axis with probability 1/2; which axes is structure."""
from __future__ import annotations

from ..options import Opt
from . import AugmentDef, register


def _build(ctx, x, name, call, salt):
    horizontal, vertical = bool(call["horizontal"]), bool(call["vertical"])
    if not (horizontal or vertical):
        return x
    return ctx.graph.add("augment_flip", x, ctx.scalar("step"), ctx.scalar("seed"),
                         salt=salt, horizontal=horizontal, vertical=vertical)


register(AugmentDef(
    "flip", (Opt("horizontal", "bool", True, positional=True,
                 doc="mirror left-right (the W axis)"),
             Opt("vertical", "bool", False, positional=True,
                 doc="mirror top-bottom (the H axis)")),
    _build, image=True,
    doc="mirror each enabled axis with probability 1/2; needs an image input [C, H, W]"))
