"""Write scikit-learn's 8x8 digits as a folder of grayscale PNGs, for digits_images.recipe:

    python recipes/make_digit_images.py recipes/data/digit_images

gives OUT/train/<digit>/NNNN.png (80 %) and OUT/test/<digit>/NNNN.png (20 %), NNNN the
image's index in load_digits(). The split is seeded (--seed), so every run writes the same
files. Pixels 0..16 are scaled to 0..255 and the images upscaled (bilinear) to --side pixels,
so the recipe's `size = [16, 16]` resizes them again, as a real image folder would need.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits


def write_digit_images(out: Path, seed: int = 0, side: int = 24, test: float = 0.2,
                       limit: int | None = None) -> dict[str, int]:
    """Write the PNGs under `out`; returns the number written per split. `limit` keeps the
    first `limit` images of the seeded order (a quick subset for tests)."""
    digits = load_digits()
    pixels = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(pixels))
    if limit is not None:
        order = order[:limit]
    n_test = int(round(len(order) * test))
    counts = {"train": 0, "test": 0}
    for rank, i in enumerate(order):
        split = "test" if rank < n_test else "train"
        folder = out / split / str(int(digits.target[i]))
        folder.mkdir(parents=True, exist_ok=True)
        image = Image.fromarray(pixels[i], "L")
        if side != 8:
            image = image.resize((side, side), Image.Resampling.BILINEAR)
        image.save(folder / f"{int(i):04d}.png")
        counts[split] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="folder to write train/ and test/ into")
    p.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    p.add_argument("--side", type=int, default=24, help="width and height of each PNG")
    p.add_argument("--test", type=float, default=0.2, help="share of the images for test/")
    args = p.parse_args(argv)
    if not 0 < args.test < 1 or args.side < 1:
        p.error("--test must be in (0, 1) and --side >= 1")
    # files left by another seed or size would mix with the new ones: never write over them
    taken = [args.out / s for s in ("train", "test") if (args.out / s).exists()]
    if taken:
        print(f"make_digit_images: {taken[0]} exists already; remove it (or pick another "
              f"folder) to write the images again", file=sys.stderr)
        return 2
    counts = write_digit_images(args.out, args.seed, args.side, args.test)
    print(f"wrote {counts['train']} training and {counts['test']} test images "
          f"({args.side}x{args.side} gray PNG) under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
