"""Declarative option schemas shared by layers, optimizers, schedules, losses and data sources.

The checker validates a call like `adam(lr = 1e-3)` against a tuple of `Opt`s: unknown names
get a did-you-mean, values are type- and range-checked, defaults are filled in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Value kinds an option can take. 'duration' is a number with a unit (`10 epochs`, `500 steps`),
# checked into a `Duration`; 'shape' is a list of positive ints (`dims`: exactly that many;
# `min`/`max` bound each one); 'call' names a `Choice`;
# 'int_or_enum' is an int (range-checked) or one of `choices` (`padding = 1` / `padding = same`);
# 'call_list' is a list of calls, each naming a `Choice` (`augment = [shift(2), flip()]`).
# 'float_or_call' is a number (range-checked) or a call of `table` (`validation = kfold(5)`).
# 'name' is a bare name the checker validates in context (a monitor: `val_loss`, `accuracy`).
# 'duration_list' is a non-empty list of durations (`at = [30 epochs, 60 epochs]`).
# 'floats_or_enum' is a non-empty list of numbers, each range-checked (`class_weights = [1, 2.5]`),
# or one of `choices` (`class_weights = balanced`).
# 'size' is an amount of memory with a byte unit (`2 GB`, `512 MiB`), checked into an int of
# bytes, or one of `choices` (`memory = auto`).
# 'samples' is a count of rows, `512 samples` (or a bare integer).
# 'str_or_call' is a call from the option's table, or a string standing for its `recipe`
# choice (`teacher = "big.recipe"` is `teacher = recipe("big.recipe")`).
# 'name_list' is a non-empty list of bare names the checker validates in context (the layers
# `init = checkpoint(..., layers = [conv2d_1, dense_1])` copies: compiler/check/transfer.py).
KINDS = ("int", "float", "bool", "str", "enum", "duration", "shape", "call", "int_or_enum",
         "call_list", "size", "duration_list", "name", "float_or_call", "floats_or_enum",
         "name_list", "str_or_call", "samples")

# byte units: SI prefixes are powers of 1000, IEC ones (KiB, MiB, ...) powers of 1024
SIZE_UNITS = {"KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "TB": 10 ** 12,
              "KiB": 2 ** 10, "MiB": 2 ** 20, "GiB": 2 ** 30, "TiB": 2 ** 40}


@dataclass(frozen=True)
class Opt:
    name: str
    kind: str
    default: Any = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    choices: tuple[str, ...] = ()
    positional: bool = False  # may be given without `name =`, in declaration order
    dims: int | None = None   # kind 'shape': the number of dimensions it must have
    doc: str = ""
    # for kind "call" inside another call (`warmup(..., then = cosine())`): the Choices it
    # may name, or a function returning them (registries that import this module)
    table: Any = None


@dataclass(frozen=True)
class Duration:
    """A length of training time: `every = 10 epochs` or `every = 500 steps`."""

    amount: int
    unit: str  # "epochs" or "steps"

    def in_steps(self, steps_per_epoch: int) -> int:
        return self.amount * steps_per_epoch if self.unit == "epochs" else self.amount

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True)
class Choice:
    """One named alternative of a value such as `optimizer = adam(...)` or `source = csv(...)`."""

    name: str
    opts: tuple[Opt, ...] = ()
    doc: str = ""
