"""`python -m bench.csv_load`: how long reading a large CSV takes, recipec against pyarrow and
pandas, each in a fresh process (so peak memory is that reader's alone); and recipec's
parquet(...) and feather(...) reading the same table from its Parquet and Feather twins.

    python -m bench.csv_load                  # 500,000 rows x (20 features + label)
    python -m bench.csv_load --rows 5000000   # the 5M-row file (about 1 GB)

The file is generated once by a seeded numpy script into --dir and reused. "recipec" is the
`csv(...)` source as a recipe reads it (runtime/data/sources/csv.py: pyarrow's parser, then the
checks and the label encoding), measured to the float32 feature array training uses; the
targets (issue 19) are within 1.5x of pyarrow's own read and a peak of at most 3x the final
float32 arrays above the interpreter's baseline.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

FEATURES = 20

READERS = {
    # pyarrow is imported before the clock starts for both (recipec imports it on its first
    # CSV read, 0.3 s once per process, so that recipes without a CSV never pay it)
    "recipec": ("import pyarrow.csv\n"
                "from recipec.runtime.data.sources.csv import load_csv\n"
                "raw = load_csv(PATH, label='label', header=True)\n"
                "n = raw.x.shape[0]"),
    # the same table as a Parquet / Feather file (written once from the CSV, PATH's twin)
    "recipec parquet": ("import pyarrow.parquet\n"
                        "from recipec.runtime.data.sources.parquet import load_parquet\n"
                        "raw = load_parquet(PATH[:-4] + '.parquet', label='label')\n"
                        "n = raw.x.shape[0]"),
    "recipec feather": ("import pyarrow.ipc\n"
                        "from recipec.runtime.data.sources.feather import load_feather\n"
                        "raw = load_feather(PATH[:-4] + '.feather', label='label')\n"
                        "n = raw.x.shape[0]"),
    "pyarrow": ("from pyarrow import csv\n"
                "n = csv.read_csv(PATH).num_rows"),
    "pandas": ("import pandas\n"
               "n = len(pandas.read_csv(PATH))"),
    "python csv": ("import csv\n"
                   "with open(PATH, newline='') as f: n = sum(1 for _ in csv.reader(f)) - 1"),
}

# A reader's process: import first (not timed), then the read; prints JSON. Peak memory is the
# process's own high-water mark (VmHWM, reset at exec; ru_maxrss is not: a child forked from a
# large parent starts with the parent's peak).
PROBE = """
import json, resource, sys, time
PATH = sys.argv[1]
def peak_kib():
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import numpy
{imports}
base = peak_kib()                                 # after the imports: the read's own
t0 = time.perf_counter()
{body}
seconds = time.perf_counter() - t0
peak = peak_kib()
print(json.dumps({{"seconds": seconds, "peak_kib": peak, "base_kib": base, "rows": int(n)}}))
"""


def generate(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        f.write(",".join([f"f{j}" for j in range(FEATURES)] + ["label"]) + "\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            x = rng.standard_normal((n, FEATURES)).astype(np.float32)
            y = rng.integers(0, 10, n)
            block = np.column_stack([x, y])
            np.savetxt(f, block, delimiter=",", fmt=["%.7g"] * FEATURES + ["%d"])
    tmp.replace(path)


def write_twins(path: Path) -> None:
    """The CSV as Parquet (pyarrow's default row groups) and Feather (its default batches and
    lz4), for the columnar readers."""
    import pyarrow.feather as feather
    import pyarrow.parquet as pq
    from pyarrow import csv

    table = csv.read_csv(path)
    pq.write_table(table, path.with_suffix(".parquet"))
    feather.write_feather(table, path.with_suffix(".feather"))


def measure(name: str, path: Path) -> dict | None:
    code = READERS[name]
    imports = "\n".join(line for line in code.splitlines() if line.startswith(("import", "from")))
    body = "\n".join(line for line in code.splitlines()
                     if not line.startswith(("import", "from")))
    script = PROBE.format(imports=imports, body=body)
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": last}
    return json.loads(proc.stdout)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.csv_load")
    p.add_argument("--rows", type=int, default=500_000)
    p.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "recipec-bench"))
    p.add_argument("--repeats", type=int, default=3, help="runs per reader (median kept)")
    p.add_argument("--readers", default="recipec,recipec parquet,recipec feather,pyarrow,pandas,"
                                        "python csv")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" /
                                        "csv_load.json"))
    args = p.parse_args(argv)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"table_{args.rows}x{FEATURES + 1}.csv"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        generate(path, args.rows)
    readers = [r.strip() for r in args.readers.split(",") if r.strip()]
    if ({"recipec parquet", "recipec feather"} & set(readers)
            and not path.with_suffix(".feather").exists()):
        print("writing its Parquet and Feather twins ...", file=sys.stderr)
        write_twins(path)
    final_mib = args.rows * FEATURES * 4 / 2 ** 20
    print(f"{path}: {path.stat().st_size / 2 ** 20:.0f} MiB, {args.rows:,} rows; the float32 "
          f"features are {final_mib:.0f} MiB")
    results = {}
    for name in readers:
        runs = [measure(name, path) for _ in range(args.repeats)]
        if any("error" in r for r in runs):
            print(f"{name:>15}: skipped ({next(r['error'] for r in runs if 'error' in r)})")
            continue
        seconds = sorted(r["seconds"] for r in runs)[len(runs) // 2]
        extra = max(r["peak_kib"] - r["base_kib"] for r in runs) / 1024
        results[name] = {"seconds": seconds, "peak_extra_mib": extra}
    base = results.get("pyarrow", {}).get("seconds")
    for name, r in results.items():
        ratio = f"{r['seconds'] / base:.2f}x pyarrow" if base else ""
        print(f"{name:>15}: {r['seconds']:7.2f} s  {ratio:>14}   peak +{r['peak_extra_mib']:6.0f} MiB "
              f"({r['peak_extra_mib'] / final_mib:.1f}x the float32 features)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": args.rows, "file": str(path), "results": results},
                              indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
