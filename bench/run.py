"""`python -m bench`: recipec against PyTorch, measured alternately in one process."""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import recipec
from recipec.runtime.state import epoch_order

from . import machine, report
from .cases import CASES, LAYOUT_CASES, LENET_CASE, LENET_ITERATIONS, SGD, conv_available
from .mnist import DEFAULT_DIR, load_mnist, synthetic
from .recipec_side import fresh_state, layout, recipec_steps

PARITY_STEPS = 100
PARITY_RTOL = 1e-3          # max |loss_recipec - loss_torch| / |loss_torch| over the steps
QUICK_FRACTION = 0.1        # --quick: each timed "epoch" is this fraction of an epoch
FOREIGN_LOAD_WARN = 0.15   # cores used by other processes while timing: above this, warn
RESULTS = Path(__file__).parent / "results"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--epochs", type=int, default=3, help="timed epochs per system (default 3)")
    p.add_argument("--quick", action="store_true",
                   help=f"time {QUICK_FRACTION:g} of an epoch instead of whole epochs")
    p.add_argument("--mnist", default=DEFAULT_DIR, help="folder with the MNIST IDX files")
    p.add_argument("--synthetic", action="store_true", help="use synthetic MNIST-shaped data")
    p.add_argument("--lenet", action="store_true",
                   help="also run case 4, Caffe's LeNet for 10000 iterations (needs conv layers)")
    p.add_argument("--cases", default="", help="comma-separated case keys (default: all)")
    p.add_argument("--no-torch", action="store_true", help="time recipec only")
    p.add_argument("--no-jax", action="store_true", help="leave out the JAX peer")
    p.add_argument("--no-compile-times", action="store_true",
                   help="skip the cold/warm compile subprocesses")
    p.add_argument("--no-layouts", action="store_true",
                   help="skip the RECIPEC_THREADS=numba|blas comparison")
    p.add_argument("--smoke", action="store_true",
                   help="a few steps per case on tiny synthetic data (for the test suite)")
    p.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                   help="before each case, wait up to this long for other processes to go quiet")
    p.add_argument("--contend", action="store_true",
                   help="throughput kept beside one busy process, quiet vs contended, for "
                        "recipec and PyTorch (bench/contend.py)")
    p.add_argument("--recipes", action="store_true",
                   help="with --contend: the example recipes too, trained as recipec run does")
    p.add_argument("--out", default=str(RESULTS), help="folder for latest.json / latest.png")
    p.add_argument("--target", choices=("cpu", "cuda"), default="cpu",
                   help="cuda: recipec's CUDA target against PyTorch CUDA eager and CUDA "
                        "graphs (bench/cuda.py)")
    return p.parse_args(argv)


@dataclass
class Timings:
    rates: list[float] = field(default_factory=list)     # samples/s of each timed run

    def summary(self) -> dict:
        r = self.rates
        return {"samples_per_s": statistics.median(r), "min": min(r), "max": max(r), "runs": r}


def parity(case, program, data, steps, default_layout, torch_runner_cls):
    """recipec's first `steps` losses against a peer's (`torch_runner_cls(case, names,
    arrays, x, y)`, the torch or a JAX runner) from the same weights on the same batches."""
    names, init = fresh_state(program)
    n, seed = len(data.x), case.seed
    order = epoch_order(seed, 0, n, True)
    steps = min(steps, n // case.batch)
    _, ours = recipec_steps(program, data.x, data.y, order, steps, case.batch, default_layout)
    runner = torch_runner_cls(case, names, init, data.x, data.y)
    theirs = np.array(runner.steps(order, 0, steps, case.batch, record=True))
    ours = ours.astype(np.float64)
    rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)
    return {"steps": int(steps), "max_rel_diff": float(rel.max()), "rtol": PARITY_RTOL,
            "pass": bool(rel.max() <= PARITY_RTOL), "first_loss": [float(ours[0]), float(theirs[0])],
            "last_loss": [float(ours[-1]), float(theirs[-1])]}


def _jax_skip_reason(case) -> str | None:
    from .jax_side import available
    why = available()
    if why is None and (case.inv or case.bias_lr_mult != 1.0):
        why = "the JAX side runs constant learning rates without lr_mult"
    return why


def _jax_modes(case, args) -> tuple[str, ...]:
    """The JAX variants timed for this case: per-step jit and whole-run lax.scan."""
    if args.no_jax or _jax_skip_reason(case) is not None:
        return ()
    return ("step", "scan")


def run_case(case, data, args, default_layout, torch_ok, sgemm):
    recipe = recipec.loads(case.recipe_text(), f"{case.key}.recipe")
    program = recipec.compile(recipe)
    program.warm_up()
    n, batch = len(data.x), case.batch
    full = n // batch                                    # the last partial batch is dropped
    steps = max(1, int(full * QUICK_FRACTION)) if args.quick else full
    if args.smoke:
        steps = min(full, 3)
    layouts = [default_layout]
    if case.key in LAYOUT_CASES and not args.no_layouts:
        layouts = [default_layout] + [l for l in ("numba", "blas") if l != default_layout]
    out = {"key": case.key, "title": case.title, "batch": batch, "status": "ok",
           "steps_per_run": steps, "samples_per_run": steps * batch,
           "flops_forward_per_sample": recipe.model.flops,
           "flops_train_per_sample": 3 * recipe.model.flops}
    TorchRunner = None
    if torch_ok:
        from .torch_side import TorchRunner

        parity_steps = PARITY_STEPS if not args.smoke else 5
        if case.parity:
            out["parity"] = parity(case, program, data, parity_steps, default_layout,
                                   TorchRunner)
        if case.parity_sgd:
            # Adam divides by sqrt(v): rounding-level differences in near-zero gradients become
            # full-size steps, so Adam trajectories drift apart even when both systems compute
            # the same gradients. The same model under SGD checks the computation itself.
            sgd_case = dataclasses.replace(case, optimizer=SGD, model=case.model + "_sgd")
            sgd_program = recipec.compile(recipec.loads(sgd_case.recipe_text(), "parity.recipe"))
            out["parity_sgd"] = parity(sgd_case, sgd_program, data, parity_steps,
                                       default_layout, TorchRunner)
    jax_modes = _jax_modes(case, args)
    if jax_modes:
        from .jax_side import JaxRunner
        # under Adam the trajectories drift apart from rounding alone (see parity_sgd above):
        # the computation is checked on the same model under SGD
        twin, twin_program = case, program
        if case.optimizer[0] == "adam":
            twin = dataclasses.replace(case, optimizer=SGD, model=case.model + "_sgd")
            twin_program = recipec.compile(recipec.loads(twin.recipe_text(), "parity.recipe"))
        out["parity_jax"] = parity(twin, twin_program, data,
                                   PARITY_STEPS if not args.smoke else 5, default_layout,
                                   lambda *a: JaxRunner(*a, mode="scan"))
        out["parity_jax"]["optimizer"] = twin.optimizer[0]
    elif not args.no_jax:
        out["jax_skipped"] = _jax_skip_reason(case)
    names, init = fresh_state(program)
    runner = TorchRunner(case, names, init, data.x, data.y) if torch_ok else None
    jax_runners = {}
    if jax_modes:
        from .jax_side import JaxRunner
        jax_runners = {mode: JaxRunner(case, names, init, data.x, data.y, mode)
                       for mode in jax_modes}
    # each layout runs the kernels recipec compiles under it (prange or serial loops), as a
    # user setting RECIPEC_THREADS gets them
    programs = {default_layout: program}
    for lay in layouts[1:]:
        with layout(lay):
            programs[lay] = recipec.compile(recipe)
            programs[lay].warm_up()
    # warm-up: one chunk per layout, a few torch steps
    warm_order = epoch_order(case.seed, 10_000, n, True)
    for lay in layouts:
        recipec_steps(programs[lay], data.x, data.y, warm_order, min(steps, 50), batch, lay)
    if runner:
        runner.steps(warm_order, 0, min(steps, 20), batch)
    for jr in jax_runners.values():     # compiles (scan: for this run's length)
        jr.steps(warm_order, 0, steps, batch)
    timings = {lay: Timings() for lay in layouts}
    torch_t = Timings()
    jax_t = {mode: Timings() for mode in jax_runners}
    load = machine.ForeignLoad()
    for epoch in range(args.epochs):                     # alternate the systems epoch by epoch
        order = epoch_order(case.seed, epoch, n, True)
        dt, _ = recipec_steps(program, data.x, data.y, order, steps, batch, default_layout)
        timings[default_layout].rates.append(steps * batch / dt)
        if runner:
            t0 = time.perf_counter()
            runner.steps(order, 0, steps, batch)
            torch_t.rates.append(steps * batch / (time.perf_counter() - t0))
        for mode, jr in jax_runners.items():
            t0 = time.perf_counter()
            jr.steps(order, 0, steps, batch)
            jax_t[mode].rates.append(steps * batch / (time.perf_counter() - t0))
    out["foreign_load_cores"] = load.cores()
    # the other layouts afterwards, not interleaved: OpenBLAS's threads keep spinning for a
    # while after a multi-threaded call and would slow whatever runs next (PyTorch measured at
    # half speed when interleaved)
    for epoch in range(args.epochs):
        order = epoch_order(case.seed, epoch, n, True)
        for lay in layouts[1:]:
            dt, _ = recipec_steps(programs[lay], data.x, data.y, order, steps, batch, lay)
            timings[lay].rates.append(steps * batch / dt)
    out["recipec"] = timings[default_layout].summary()
    out["recipec"]["threads"] = default_layout
    if len(layouts) > 1:
        out["layouts"] = {lay: timings[lay].summary() for lay in layouts}
    if runner:
        out["torch"] = torch_t.summary()
        out["ratio"] = out["recipec"]["samples_per_s"] / out["torch"]["samples_per_s"]
    for mode in jax_runners:
        out[f"jax_{mode}"] = jax_t[mode].summary()
    if jax_runners:
        best = max(out[f"jax_{mode}"]["samples_per_s"] for mode in jax_runners)
        out["ratio_jax"] = out["recipec"]["samples_per_s"] / best
    for system in ("recipec", "torch"):
        if system in out:
            gf = out[system]["samples_per_s"] * out["flops_train_per_sample"] / 1e9
            out[system]["gflops"] = gf
            out[system]["sgemm_fraction"] = gf / sgemm["numpy_gflops"]
    out["peak_rss_mb_after"] = machine.peak_rss_mb()
    return out


def run_lenet(data, default_layout, torch_ok):
    """Case 4: Caffe's LeNet, 10000 iterations of batch 64 in file order, both systems."""
    case = LENET_CASE
    recipe = recipec.loads(case.recipe_text(), f"{case.key}.recipe")
    program = recipec.compile(recipe)
    program.warm_up()
    names, init = fresh_state(program)
    n, batch = len(data.x), case.batch
    per_epoch = n // batch
    order = np.arange(n, dtype=np.int64)            # Caffe reads its LMDB in file order
    out = {"key": case.key, "title": case.title, "iterations": LENET_ITERATIONS,
           "note": "Caffe's solver in both: inv(1e-4, 0.75), biases at 2x lr, weight decay 5e-4;"
                   " data x/255 in file order; last partial batch of each pass dropped"}
    left, seconds = LENET_ITERATIONS, 0.0
    while left:
        count = min(left, per_epoch)
        dt, _ = recipec_steps(program, data.x, data.y, order, count, batch, default_layout)
        seconds, left = seconds + dt, left - count
    pred = program.outputs(data.x_test).argmax(1)
    out["recipec"] = {"seconds": seconds, "test_accuracy": float((pred == data.y_test).mean())}
    if torch_ok:
        from .torch_side import TorchRunner

        runner = TorchRunner(case, names, init, data.x, data.y)
        left, t0 = LENET_ITERATIONS, time.perf_counter()
        while left:
            count = min(left, per_epoch)
            runner.steps(order, 0, count, batch)
            left -= count
        out["torch"] = {"seconds": time.perf_counter() - t0,
                        "test_accuracy": runner.accuracy(data.x_test, data.y_test)}
    return out


def load_data(args):
    if args.smoke:
        return synthetic(n=1024, n_test=256), True
    if not args.synthetic:
        d = load_mnist(args.mnist)
        if d is not None:
            return d, False
        print(f"MNIST IDX files not found in {args.mnist}: falling back to synthetic data")
    return synthetic(), True


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.target == "cuda":
        from .cuda import main as cuda_main
        return cuda_main(["--epochs", str(args.epochs)]
                         + (["--cases", args.cases] if args.cases else []))
    if args.smoke:
        args.epochs, args.no_compile_times = 1, True
    torch_ok = not args.no_torch
    if torch_ok:
        try:
            import torch

            torch.set_num_threads(2)
        except ImportError:
            print("PyTorch is not installed (pip install -e '.[bench]'): timing recipec only")
            torch_ok = False
    default_layout = os.environ.get("RECIPEC_THREADS", "numba")
    data, is_synthetic = load_data(args)
    if args.contend:
        from . import contend

        wanted = {k for k in args.cases.split(",") if k}
        cases = [c for c in CASES if (not wanted or c.key in wanted)
                 and (conv_available() or not c.needs_conv)]
        if args.smoke:
            contend.RUN_SECONDS, contend.REPEATS, contend.SETTLE_SECONDS = 0.2, 1, 0.1
        results = contend.main(args, cases, data, torch_ok)
        report.write_json(results, Path(args.out) / "contend.json")
        return 0
    results = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "machine": machine.machine_info(), "blas": machine.blas_info(),
               "sgemm": machine.sgemm_gflops(n=256 if args.smoke else 1024),
               "data": data.source, "synthetic": is_synthetic,
               "settings": {"epochs": args.epochs, "quick": args.quick, "smoke": args.smoke,
                            "default_threads": default_layout},
               "cases": [], "skipped": []}
    print(f"data: {data.source}")
    wanted = {k for k in args.cases.split(",") if k}
    conv = conv_available()
    for case in CASES:
        if wanted and case.key not in wanted:
            continue
        if case.needs_conv and not conv:
            results["skipped"].append({"key": case.key, "reason":
                                       "skipped: conv layers not available yet"})
            continue
        if args.wait_idle > 0:
            machine.wait_idle(args.wait_idle)
        print(f"running {case.key} ...", flush=True)
        try:
            res = run_case(case, data, args, default_layout, torch_ok, results["sgemm"])
        except recipec.RecipeError as e:
            results["skipped"].append({"key": case.key, "reason": f"recipe does not check: {e}"})
            continue
        except Exception as e:                  # one broken case must not lose the others
            import traceback

            traceback.print_exc()
            results["skipped"].append({"key": case.key, "reason": f"failed: {e!r}"})
            continue
        if not args.no_compile_times:
            res["compile"] = machine.compile_times(case.recipe_text())
        results["cases"].append(res)
    if args.lenet and conv and not args.smoke:
        print("running lenet_caffe (10000 iterations per system) ...", flush=True)
        results["lenet"] = run_lenet(data, default_layout, torch_ok)
    else:
        results["skipped"].append({"key": LENET_CASE.key, "reason": (
            "skipped: conv layers not available yet" if not conv else "skipped: pass --lenet")})
    results["peak_rss_mb"] = machine.peak_rss_mb()
    busy = [c["foreign_load_cores"] for c in results["cases"]
            if (c.get("foreign_load_cores") or 0) > FOREIGN_LOAD_WARN]
    results["machine_was_busy"] = bool(busy)
    report.print_report(results)
    report.write(results, Path(args.out))
    return 0
