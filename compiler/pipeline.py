"""The whole compiler in one place: checked recipe -> graphs -> passes -> kernels.

`compile_recipe` is the one entry point the runtime uses. Every pass is timed and, in tests,
followed by the IR verifier; `dump_after` hands the IR after a named pass to a callback
(`recipec compile --dump-after fuse`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .interpret import format_graph
from .ir import Graph, verify
from .lower import KernelModule, TARGETS, lower
from .passes import PIPELINE
from .recipe import Recipe
from .step import StepGraphs, build_step_graphs


@dataclass
class CompiledProgram:
    recipe: Recipe
    graphs: StepGraphs                    # optimised train and predict graphs
    kernels: KernelModule | None          # None when compiled with target=None (IR only)
    timings: dict[str, float] = field(default_factory=dict)


def optimize(g: Graph, timings: dict[str, float] | None = None, check: bool = True,
             dump_after: str | None = None, on_dump: Callable[[str, str], None] | None = None
             ) -> Graph:
    if check:
        verify(g)
    for p in PIPELINE:
        start = time.perf_counter()
        g = p.run(g)
        if timings is not None:
            timings[f"pass:{p.name}"] = timings.get(f"pass:{p.name}", 0.0) + time.perf_counter() - start
        if check:
            verify(g)
        if dump_after == p.name and on_dump:
            on_dump(p.name, format_graph(g))
    return g


def compile_recipe(recipe: Recipe, target: str | None = "cpu", *, parallel: bool = True,
                   check: bool = True,
                   dump_after: str | None = None,
                   on_dump: Callable[[str, str], None] | None = None) -> CompiledProgram:
    if target is not None and target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    graphs = build_step_graphs(recipe)
    timings["build+autodiff"] = time.perf_counter() - start
    graphs.train = optimize(graphs.train, timings, check, dump_after, on_dump)
    graphs.predict = optimize(graphs.predict, timings, check)
    kernels = None
    if target is not None:
        start = time.perf_counter()
        kernels = lower(graphs.train, graphs.predict, target, parallel, recipe.train.batch)
        timings["lower+load"] = time.perf_counter() - start
    return CompiledProgram(recipe, graphs, kernels, timings)
