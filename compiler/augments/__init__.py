"""Augmentations a recipe may list (`data { augment = [shift(2), flip(), rotate(10)] }`).

An augmentation is added in one place, one file here: its `AugmentDef` holds the option schema
the checker validates, whether it needs an image input [C, H, W], `fits`, its own check of its
magnitudes against the input shape, and `build`, which appends its op (ops/augment.py) to the
training graph. compiler/augment.py applies the list in order.
A magnitude is a run-time input (`data.augment.<entry>.<option>`, compiles nothing when
changed); a zero magnitude adds no op at all, which is structure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..options import Choice, Opt

if TYPE_CHECKING:
    from ..build import BuildContext
    from ..ir import Value
    from ..recipe import Call


@dataclass(frozen=True)
class AugmentDef:
    name: str
    opts: tuple[Opt, ...]
    # (ctx, batch, entry name such as "rotate_1", checked call, salt) -> augmented batch
    build: Callable[["BuildContext", "Value", str, "Call", int], "Value"]
    image: bool = False            # needs a [C, H, W] input
    # fits(checked call, per-sample input shape) -> None, or (option, message, hint) when a
    # magnitude makes no sense for that input (a shift as large as the image); the checker
    # reports it at that option's value (E305). Called only with a shape `image` allows.
    fits: Callable[["Call", tuple[int, ...]], tuple[str, str, str | None] | None] = \
        lambda call, shape: None
    doc: str = ""

    @property
    def choice(self) -> Choice:
        return Choice(self.name, self.opts, self.doc)


AUGMENTS: dict[str, AugmentDef] = {}


def register(augment: AugmentDef) -> AugmentDef:
    assert augment.name not in AUGMENTS, f"augment {augment.name} registered twice"
    AUGMENTS[augment.name] = augment
    return augment


def by_magnitude(op: str, option: str):
    """The builder of an op driven by one magnitude option: nothing when it is zero, else
    `op(x, step, seed, magnitude)` with the magnitude a run-time input."""
    def build(ctx, x, name, call, salt):
        if not call[option] > 0:
            return x
        return ctx.graph.add(op, x, ctx.scalar("step"), ctx.scalar("seed"),
                             ctx.hyper(f"data.augment.{name}.{option}", call[option]),
                             salt=salt)
    return build


from . import flip, noise, rotate, shift  # noqa: E402,F401  (registration)
