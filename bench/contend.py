"""`python -m bench --contend`: how much throughput each system keeps beside a busy process.

For every case, recipec and PyTorch are timed alternately on a quiet machine, then again while
one other CPU-bound process (a Python busy loop) runs, and the table gives contended / quiet
throughput for each. `--recipes` does the same for the example recipes, trained through
Program.fit as `recipec run` trains them (steps/s of training, validation excluded).
The busy process is what a second trial of a hyperparameter search, or anyone else's job on a
shared machine, does to the cores; on 2 cores it takes one of them.
"""
from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import recipec
from recipec.runtime.state import epoch_order

from .recipec_side import fresh_state, recipec_steps

RUN_SECONDS = 3.0           # each timed run lasts about this long on the quiet machine
REPEATS = 2                 # timed runs per system and condition (median kept)
SETTLE_SECONDS = 1.0        # after starting the busy process, before timing
RECIPES = Path(__file__).resolve().parent.parent / "recipes"


@contextlib.contextmanager
def busy_neighbour():
    """One CPU-bound process beside us for the duration."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(SETTLE_SECONDS)
        yield
    finally:
        proc.kill()
        proc.wait()


def _median_rate(run, repeats=REPEATS) -> float:
    return statistics.median(run() for _ in range(repeats))


def _kept(quiet: float, busy: float) -> float:
    return busy / quiet if quiet else 0.0


def contend_case(case, data, torch_ok: bool) -> dict:

    program = recipec.compile(recipec.loads(case.recipe_text(), f"{case.key}.recipe"))
    program.warm_up()
    names, init = fresh_state(program)
    n, batch = len(data.x), case.batch
    full = n // batch
    order = epoch_order(case.seed, 0, n, True)
    dt, _ = recipec_steps(program, data.x, data.y, order, min(full, 20), batch, "numba")
    steps = max(4, min(full, int(RUN_SECONDS / (dt / min(full, 20)))))

    def ours():
        seconds, _ = recipec_steps(program, data.x, data.y, order, steps, batch, "numba")
        return steps * batch / seconds

    runner = None
    if torch_ok:
        from .torch_side import TorchRunner

        runner = TorchRunner(case, names, init, data.x, data.y)
        runner.steps(order, 0, min(steps, 20), batch)

    def theirs():
        t0 = time.perf_counter()
        runner.steps(order, 0, steps, batch)
        return steps * batch / (time.perf_counter() - t0)

    out = {"key": case.key, "title": case.title, "steps": steps}
    out["recipec_quiet"] = _median_rate(ours)
    out["threads_quiet"] = program.executable.threads.threads()
    if runner:
        out["torch_quiet"] = _median_rate(theirs)
    with busy_neighbour():
        out["recipec_busy"] = _median_rate(ours)
        if runner:
            out["torch_busy"] = _median_rate(theirs)
    out["recipec_kept"] = _kept(out["recipec_quiet"], out["recipec_busy"])
    if runner:
        out["torch_kept"] = _kept(out["torch_quiet"], out["torch_busy"])
    out["threads_at_end"] = program.executable.threads.threads()
    return out


def contend_recipe(path: Path) -> dict | None:
    """Steps/s of Program.fit, quiet and busy; None when the recipe's data is not here."""
    program = recipec.compile(recipec.load(path))
    try:
        program.load_data()
    except recipec.DataError as e:
        return {"key": path.stem, "skipped": str(e).splitlines()[0]}
    program.warm_up()
    warm = program.fit(steps=20)
    steps = max(20, int(RUN_SECONDS * warm.steps_per_second))

    def rate():
        return program.fit(steps=steps).steps_per_second

    out = {"key": path.stem, "steps": steps, "recipec_quiet": _median_rate(rate),
           "threads_quiet": program.executable.threads.threads()}
    with busy_neighbour():
        out["recipec_busy"] = _median_rate(rate)
    out["recipec_kept"] = _kept(out["recipec_quiet"], out["recipec_busy"])
    out["threads_at_end"] = program.executable.threads.threads()
    return out


def print_table(rows: list[dict], unit: str, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"kept beside one busy process ({unit}, contended / quiet)")
    for col in ("case", "recipec quiet", "recipec busy", "kept", "threads quiet/busy",
                "torch quiet", "torch busy", "kept"):
        table.add_column(col, justify="left" if col == "case" else "right",
                         no_wrap=col == "case")
    for r in rows:
        if "skipped" in r:
            table.add_row(r["key"], r["skipped"], *[""] * 6)
            continue
        cells = [r["key"], f"{r['recipec_quiet']:,.0f}", f"{r['recipec_busy']:,.0f}",
                 f"{r['recipec_kept']:.0%}", f"{r['threads_quiet']}/{r['threads_at_end']}"]
        if "torch_quiet" in r:
            cells += [f"{r['torch_quiet']:,.0f}", f"{r['torch_busy']:,.0f}",
                      f"{r['torch_kept']:.0%}"]
        else:
            cells += ["", "", ""]
        table.add_row(*cells)
    console.print(table)


def main(args, cases, data, torch_ok: bool) -> dict:
    results = {"cases": [], "recipes": []}
    for case in cases:
        print(f"contending {case.key} ...", flush=True)
        results["cases"].append(contend_case(case, data, torch_ok))
    if results["cases"]:
        print_table(results["cases"], "samples/s")
    if args.recipes:
        for path in sorted(RECIPES.glob("*.recipe")):
            print(f"contending {path.name} ...", flush=True)
            results["recipes"].append(contend_recipe(path))
        print_table(results["recipes"], "steps/s")
    return results
