"""The optimizers a recipe may name: one `OptimizerDef` per file in this package.

A row holds everything recipec knows about one optimizer:
  opts     its option schema: the checker validates `optimizer = sgd(...)` against it
           (catalog.OPTIMIZERS is derived from these rows)
  slots    the state it keeps per parameter, given the checked options: names, or `Slot`s
           for state that does not start at zero or is one value per parameter; which slots
           exist is structure (sgd keeps no velocity when momentum is 0), so changing it
           compiles
  hypers   the options that are run-time inputs of the compiled step, `optimizer.<option>`:
           a `--set` or a search trial that changes one compiles nothing. `lr` is not one:
           the schedule turns it into every step's learning rate, already an input.
  update   the IR builder: appends one parameter's in-place update (an effect op of
           ops/optim.py) to the training graph, from an `Update`
Adding an optimizer is a file here and a row in tests/test_optim.py; its update op needs a
reference in ops/optim.py and a CPU emitter in lower/cpu/emitters/optim.py unless it is built
from the ones there.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..options import Opt

if TYPE_CHECKING:
    from ..build import BuildContext, ParamInfo
    from ..ir import Graph, Value

LR = Opt("lr", "float", required=True, min=0.0, min_inclusive=False, positional=True,
         doc="base learning rate")
WEIGHT_DECAY = Opt("weight_decay", "float", 0.0, min=0.0,
                   doc="L2 penalty added to the gradient")


@dataclass(frozen=True)
class Slot:
    """One piece of per-parameter optimizer state. `initial` is its value before the first
    step (adagrad's initial_accumulator): state, not code, so changing it compiles nothing.
    `scalar` makes it one float32 per parameter (shape [1]) instead of the parameter's shape
    (nadam's running product of momentum coefficients, the same for every element)."""
    name: str
    initial: float = 0.0
    scalar: bool = False


class Update:
    """What an optimizer's `update` builds one parameter's update from. Scalars and run-time
    inputs are created when first asked for, so a graph only has the inputs it reads."""

    def __init__(self, ctx: "BuildContext", definition: "OptimizerDef", options: dict[str, Any],
                 param: "Value", grad: "Value", slots: tuple["Value", ...], info: "ParamInfo"):
        self._ctx, self._definition, self._info = ctx, definition, info
        self.graph: "Graph" = ctx.graph
        self.options = options            # every checked option (for structure: nesterov)
        self.param, self.grad, self.slots = param, grad, slots

    def scalar(self, name: str) -> "Value":
        """A per-step scalar of the ABI: "lr" (float32, the schedule's) or "step"."""
        return self._ctx.scalar(name)

    def hyper(self, option: str) -> "Value":
        """The option as a run-time input named `optimizer.<option>`."""
        assert option in self._definition.hypers, \
            f"{self._definition.name}: {option} is not listed in its hypers"
        return self._ctx.hyper(f"optimizer.{option}", self.options[option])

    def mult(self, kind: str) -> "Value":
        """The parameter's "lr" or "decay" multiplier (its layer's lr_mult / decay_mult,
        bias_lr_mult / bias_decay_mult) as a run-time input."""
        value = self._info.lr_mult if kind == "lr" else self._info.decay_mult
        return self._ctx.hyper(self._info.mult_hyper(kind), value)


@dataclass(frozen=True)
class OptimizerDef:
    name: str
    opts: tuple[Opt, ...]
    slots: Callable[[dict[str, Any]], tuple["str | Slot", ...]]
    hypers: tuple[str, ...]
    update: Callable[[Update], None]
    doc: str = ""

    def slot_specs(self, options: dict[str, Any]) -> tuple[Slot, ...]:
        """The slots for these checked options, a bare name meaning a zero-initialised
        parameter-shaped slot."""
        return tuple(s if isinstance(s, Slot) else Slot(s) for s in self.slots(options))


OPTIMIZERS: dict[str, OptimizerDef] = {}


def register(definition: OptimizerDef) -> OptimizerDef:
    assert definition.name not in OPTIMIZERS, f"optimizer {definition.name} registered twice"
    names = {o.name for o in definition.opts}
    assert set(definition.hypers) <= names, f"{definition.name}: hypers must be options"
    OPTIMIZERS[definition.name] = definition
    return definition


# every module of this package registers one optimizer: adding a file is adding an optimizer
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
