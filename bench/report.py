"""The results: a rich table on stdout, results/latest.json and results/latest.png."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table


def _rate(d):
    return f"{d['samples_per_s']:,.0f}\n[dim]{d['min']:,.0f}–{d['max']:,.0f}[/dim]"


def _compile(c):
    if not c:
        return "—"
    return (f"{c['first']['total_s']:.1f} / {c['cold']['total_s']:.1f} / "
            f"{c['warm']['total_s']:.2f}")


def print_report(res: dict, console: Console | None = None) -> None:
    console = console or Console()
    if not console.is_terminal:             # rich assumes 80 columns when piped
        console.width = max(console.width, 150)
    m, sg = res["machine"], res["sgemm"]
    console.print(f"[bold]recipec vs PyTorch[/bold] — {res['data']}")
    console.print(f"{m['processor']}, {m['cpu_count']} cores; numba {m['numba']} "
                  f"({m['numba_threads']} threads, layer {m['numba_threading_layer']}); "
                  f"torch {m.get('torch')} ({m.get('torch_threads')} threads); "
                  f"recipec threads layout: {res['settings']['default_threads']}")
    for b in res["blas"]:
        if b["user_api"] == "blas":
            console.print(f"BLAS: {b['internal_api']} {b['version']} {b['prefix']} "
                          f"architecture={b['architecture']} num_threads={b['num_threads']}")
    console.print(f"OPENBLAS_CORETYPE: {m['OPENBLAS_CORETYPE'] or 'not set'}")
    if m.get("PYTHONDONTWRITEBYTECODE"):
        console.print("PYTHONDONTWRITEBYTECODE is set: modules without bytecode are compiled "
                      "from source on every import, warm compile times included")
    console.print(f"SGEMM {sg['n']}x{sg['n']} float32, {sg['threads']} threads: numpy "
                  f"{sg['numpy_gflops']:.1f} GFLOP/s (best {sg['numpy_gflops_best']:.1f}); "
                  f"recipec's kernels call {sg.get('kernels_call', '?')}")
    t = Table(title="samples/s: median of the timed epochs (min–max); GFLOP/s = 3 x forward "
                    "FLOPs x samples/s")
    for col in ("case", "recipec", "PyTorch", "ratio", "JAX jit step", "JAX jit scan",
                "vs best JAX", "recipec GFLOP/s (SGEMM %)",
                "PyTorch GFLOP/s (SGEMM %)", "compile first / cold / warm s"):
        t.add_column(col, justify="left" if col == "case" else "right")
    for c in res["cases"]:
        r, th = c["recipec"], c.get("torch")
        js, jc = c.get("jax_step"), c.get("jax_scan")
        t.add_row(c["title"], _rate(r), _rate(th) if th else "—",
                  f"{c['ratio']:.2f}x" if th else "—",
                  _rate(js) if js else "—", _rate(jc) if jc else "—",
                  f"{c['ratio_jax']:.2f}x" if "ratio_jax" in c else "—",
                  f"{r['gflops']:.1f} ({100 * r['sgemm_fraction']:.0f}%)",
                  f"{th['gflops']:.1f} ({100 * th['sgemm_fraction']:.0f}%)" if th else "—",
                  _compile(c.get("compile")))
    console.print(t)
    lay = [c for c in res["cases"] if "layouts" in c]
    if lay:
        t2 = Table(title="recipec threading layout (RECIPEC_THREADS), samples/s")
        t2.add_column("case")
        names = list(lay[0]["layouts"])
        for n in names:
            t2.add_column(n, justify="right")
        t2.add_column("PyTorch", justify="right")
        for c in lay:
            t2.add_row(c["title"], *[_rate(c["layouts"][n]) for n in names],
                       _rate(c["torch"]) if "torch" in c else "—")
        console.print(t2)
    for c in res["cases"]:
        if c.get("jax_skipped"):
            console.print(f"JAX {c['key']}: skipped: {c['jax_skipped']}")
        for key, label in (("parity", ""), ("parity_sgd", " (same model, SGD)"),
                           ("parity_jax", " (JAX, lax.scan; SGD for an Adam case)")):
            p = c.get(key)
            if p:
                console.print(f"parity {c['key']}{label}: first {p['steps']} step losses, max "
                              f"relative difference {p['max_rel_diff']:.2e} (rtol {p['rtol']:g})"
                              " → " + ("[green]PASS[/green]" if p["pass"] else "[red]FAIL[/red]"))
    if "lenet" in res:
        le = res["lenet"]
        for s in ("recipec", "torch"):
            if s in le:
                console.print(f"{le['title']} — {s}: {le[s]['seconds']:.1f} s, test accuracy "
                              f"{le[s]['test_accuracy']:.4f}")
        console.print(f"[dim]{le['note']}[/dim]")
    for s in res["skipped"]:
        console.print(f"{s['key']}: {s['reason']}")
    console.print(f"peak RSS {res['peak_rss_mb']:.0f} MiB")
    loads = [f"{c['key']} {c['foreign_load_cores']:.2f}" for c in res["cases"]
             if c.get("foreign_load_cores") is not None]
    if loads:
        console.print("CPU used by other processes while timing (cores): " + ", ".join(loads))
    if res.get("machine_was_busy"):
        console.print("[bold red]warning:[/bold red] other processes used the CPU while timing; "
                      "these figures are not trustworthy on a 2-core machine — rerun when idle")


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)                # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json(res: dict, path: Path) -> None:
    def dump(tmp):
        with open(tmp, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")

    _atomic_write(path, dump)


def write(res: dict, out: Path) -> None:
    write_json(res, out / "latest.json")
    if chart_available():
        _atomic_write(out / "latest.png", lambda tmp: _chart(res, tmp))
    else:
        print("chart skipped: matplotlib is not installed (pip install -e '.[bench]')")


def chart_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _chart(res: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = res["cases"]
    labels = [c["key"] for c in cases]
    ours = [c["recipec"]["samples_per_s"] for c in cases]
    theirs = [c["torch"]["samples_per_s"] if "torch" in c else 0 for c in cases]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(cases) + 2), 4.5))
    xs = range(len(cases))
    w = 0.38
    ax.bar([x - w / 2 for x in xs], ours, w, label="recipec")
    ax.bar([x + w / 2 for x in xs], theirs, w, label="PyTorch (eager)")
    for x, c in zip(xs, cases):
        if "ratio" in c:
            ax.annotate(f"{c['ratio']:.2f}x", (x, max(ours[x], theirs[x])), ha="center",
                        va="bottom", fontsize=8)
    ax.set_xticks(list(xs), labels, rotation=15, fontsize=8)
    ax.set_ylabel("training samples/s (median)")
    ax.set_title(f"recipec vs PyTorch, {res['machine']['cpu_count']} threads — "
                 + ("synthetic data" if res["synthetic"] else "MNIST"))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=110)
    plt.close(fig)
