"""The whole compiler in one place: checked recipe -> graphs -> the target's passes -> Executable.

`compile_recipe` is the one entry point the runtime uses. Every pass is timed and, in tests,
followed by the IR verifier; `dump_after` hands the IR after a stage to a callback (`recipec
compile --dump-after build|autodiff|<pass>`) for both the train and the predict graph.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .ir import Graph, format_graph, verify
from .lower import CompileOptions, Executable, get_target
from .passes import NEUTRAL, Pass
from .recipe import Recipe
from .step import StepGraphs, build_step_graphs

STAGES = ("build", "autodiff")      # dump points before the passes


@dataclass
class CompiledProgram:
    recipe: Recipe
    graphs: StepGraphs                    # optimised train and predict graphs
    executable: Executable | None         # None when compiled with target=None (IR only)
    timings: dict[str, float] = field(default_factory=dict)
    target: str | None = "cpu"


def passes_of(target: str | None) -> tuple[Pass, ...]:
    return NEUTRAL if target is None else get_target(target).passes


def stage_names(target: str | None = "cpu") -> tuple[str, ...]:
    """What `--dump-after` accepts for this target."""
    return STAGES + tuple(p.name for p in passes_of(target))


def optimize(g: Graph, passes: tuple[Pass, ...] | None = None, timings: dict[str, float] | None = None,
             check: bool = True, dump: Callable[[str, Graph], None] | None = None) -> Graph:
    """Run `passes` (default: the CPU target's) over `g`, verifying the IR after each."""
    if check:
        verify(g)
    for p in passes_of("cpu") if passes is None else passes:
        start = time.perf_counter()
        g = p.run(g)
        if timings is not None:
            timings[f"pass:{p.name}"] = timings.get(f"pass:{p.name}", 0.0) + time.perf_counter() - start
        if check:
            verify(g)
        if dump:
            dump(p.name, g)
    return g


def compile_recipe(recipe: Recipe, target: str | None = "cpu", *, lower: bool = True,
                   parallel: bool | None = None, check: bool = True,
                   dump_after: str | None = None,
                   on_dump: Callable[[str, str], None] | None = None) -> CompiledProgram:
    """Graphs after `target`'s passes (the neutral ones for None), then, with `lower`, the
    target's Executable. `on_dump(title, text)` receives the train and the predict graph after
    the stage `dump_after`."""
    passes = passes_of(target)
    timings: dict[str, float] = {}

    def dump(which: str):
        def at(stage: str, g: Graph) -> None:
            if on_dump and stage == dump_after:
                on_dump(f"{which} graph after {stage}", format_graph(g))
        return at

    start = time.perf_counter()
    graphs = build_step_graphs(recipe, on_stage=dump("train"))
    timings["build+autodiff"] = time.perf_counter() - start
    dump("predict")("build", graphs.predict)
    dump("predict")("autodiff", graphs.predict)      # prediction has no backward pass
    graphs.train = optimize(graphs.train, passes, timings, check, dump("train"))
    graphs.predict = optimize(graphs.predict, passes, timings, check, dump("predict"))
    compiled = CompiledProgram(recipe, graphs, None, timings, target)
    if target is not None and lower:
        lower_program(compiled, parallel)
    return compiled


def lower_program(compiled: CompiledProgram, parallel: bool | None = None) -> Executable:
    """Generate and load the target's Executable for `compiled`'s graphs (the step that
    `compile_recipe(lower=False)` leaves out); sets `compiled.executable`."""
    start = time.perf_counter()
    compiled.executable = get_target(compiled.target).compile(
        compiled.graphs, CompileOptions(parallel=parallel, batch=compiled.recipe.train.batch))
    compiled.timings["lower+load"] = time.perf_counter() - start
    return compiled.executable
