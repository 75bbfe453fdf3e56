"""Write a seeded, deliberately messy regression CSV for recipes/housing_clean.recipe.

    python recipes/make_housing.py recipes/data/housing.csv            # 2000 rows
    python recipes/make_housing.py OUT.csv --rows 200 --seed 1

Six numeric features, one text column (`district`, five categories) and the target `price`:
a smooth function of the features plus a per-district offset and noise. About 5 % of the
feature cells are left empty (missing) and a few values are gross outliers (a misplaced
decimal point: x 100), so the recipe needs `impute` and `outliers` to train well.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

FEATURES = ("area", "rooms", "age", "distance", "income", "crime")
DISTRICTS = ("harbour", "hills", "market", "old_town", "riverside")
MISSING = 0.05              # share of feature cells left empty
OUTLIERS = 12               # cells multiplied by 100


def housing(rows: int = 2000, seed: int = 0) -> tuple[list[str], list[list[str]]]:
    """(header, rows of cells as text) of the file."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, len(FEATURES)))
    district = rng.integers(0, len(DISTRICTS), rows)
    offset = np.array([0.8, 0.3, -0.2, 0.5, -0.6])[district]
    price = (1.2 * x[:, 0] + 0.5 * x[:, 1] - 0.4 * x[:, 2] - 0.7 * np.tanh(x[:, 3])
             + 0.6 * x[:, 4] + 0.3 * x[:, 0] * x[:, 4] - 0.2 * x[:, 5] ** 2 + offset
             + 0.25 * rng.standard_normal(rows) + 3.0)
    # features in plausible units: area in m², rooms, age in years, ...
    scaled = x * np.array([30.0, 1.2, 15.0, 4.0, 12.0, 2.0]) + np.array(
        [110.0, 4.0, 40.0, 10.0, 55.0, 5.0])
    cells = [[f"{v:.3f}" for v in row] for row in scaled]
    for i, j in zip(rng.integers(0, rows, OUTLIERS), rng.integers(0, len(FEATURES), OUTLIERS)):
        cells[i][j] = f"{float(cells[i][j]) * 100:.3f}"
    holes = rng.random((rows, len(FEATURES) + 1)) < MISSING
    out = []
    for i in range(rows):
        row = cells[i] + [DISTRICTS[district[i]]]
        row = ["" if holes[i, j] else c for j, c in enumerate(row)]
        out.append(row + [f"{price[i]:.4f}"])
    return list(FEATURES) + ["district", "price"], out


def write_housing(path: str | Path, rows: int = 2000, seed: int = 0) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header, body = housing(rows, seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(body)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="the CSV file to write")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = write_housing(args.out, args.rows, args.seed)
    print(f"wrote {args.rows} rows to {path}")


if __name__ == "__main__":
    main()
