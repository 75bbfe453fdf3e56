"""Data sources a recipe's `data { source = ... }` (and `test = ...`) may name: the schemas.

The checker validates a source call against its `SourceDef` without importing the runtime;
each reader lives in its own file of `runtime/data/sources/` and registers against the same
name (that package asserts at import that every schema here has a reader and vice versa).
"""
from __future__ import annotations

from dataclasses import dataclass

from .options import Opt


@dataclass(frozen=True)
class SourceDef:
    name: str
    opts: tuple[Opt, ...] = ()
    doc: str = ""


SOURCES: dict[str, SourceDef] = {}


def register(source: SourceDef) -> SourceDef:
    assert source.name not in SOURCES, f"source {source.name} registered twice"
    SOURCES[source.name] = source
    return source


_PATH = Opt("path", "str", required=True, positional=True)

# `images(size = [H, W])`: a side past this is a typo (one 4096 x 4096 RGB image is 48 MiB)
MAX_IMAGE_SIDE = 4096
IMAGE_COLORS = ("gray", "rgb")

for _s in (
    SourceDef("iris", doc="scikit-learn's iris (150 x 4, 3 classes)"),
    SourceDef("digits", doc="scikit-learn's 8x8 digits (1797 x 64, 10 classes)"),
    SourceDef("wine", doc="scikit-learn's wine (178 x 13, 3 classes)"),
    SourceDef("breast_cancer", doc="scikit-learn's breast cancer (569 x 30, 2 classes)"),
    SourceDef("csv", (_PATH,
                      Opt("label", "str", "label", doc="name or 0-based index of the label column"),
                      Opt("header", "bool", True)),
              doc="a CSV file of numbers with one label column"),
    SourceDef("parquet", (_PATH, Opt("label", "str", "label", doc="name of the label column")),
              doc="a Parquet file of numeric columns and one label column, read by row group"),
    SourceDef("feather", (_PATH, Opt("label", "str", "label", doc="name of the label column")),
              doc="an Arrow IPC file (.feather or .arrow) of numeric columns and one label "
                  "column"),
    SourceDef("npz", (_PATH, Opt("x", "str", "x"), Opt("y", "str", "y"),
                      Opt("x_test", "str", "", doc="test-split features array; \"\" = no test split"),
                      Opt("y_test", "str", "", doc="test-split labels array (with x_test)")),
              doc="a NumPy .npz archive (read without pickle)"),
    SourceDef("npy", (Opt("x", "str", required=True, doc="features: an .npy file [N, ...]"),
                      Opt("y", "str", required=True, doc="labels: an .npy file [N] or [N, k]"),
                      Opt("x_test", "str", "", doc="test-split features; \"\" = none"),
                      Opt("y_test", "str", "", doc="test-split labels (with x_test)")),
              doc="NumPy .npy files, the features memory-mapped (never read whole unless "
                  "they fit the memory budget)"),
    SourceDef("mnist", (Opt("path", "str", required=True, positional=True,
                            doc="folder with the four original IDX files (gzipped or not)"),),
              doc="MNIST from its IDX files: 60000 train + 10000 test images [1, 28, 28], "
                  "raw 0..255 pixel values"),
    SourceDef("idx", (Opt("images", "str", required=True, positional=True),
                      Opt("labels", "str", required=True, positional=True)),
              doc="one pair of IDX files (images, labels), gzipped or not; all rows are training "
                  "rows"),
    SourceDef("images", (Opt("path", "str", required=True, positional=True,
                             doc="folder with one subfolder of images per class"),
                         Opt("size", "shape", None, dims=2, max=MAX_IMAGE_SIDE,
                             doc="[H, W] every image is resized to (bilinear); left out, all "
                                 "images must have one size"),
                         Opt("color", "enum", "rgb", choices=IMAGE_COLORS,
                             doc="gray: 1 channel, rgb: 3 channels"),
                         Opt("corrupt", "enum", "error", choices=("error", "skip"),
                             doc="skip: leave out (and count) files Pillow cannot decode")),
              doc="a folder of .png/.jpg/.jpeg/.bmp/.gif images, one subfolder per class "
                  "(Keras' image_dataset_from_directory layout), decoded with Pillow to uint8 "
                  "[C, H, W]; class names are the subfolder names, sorted"),
):
    register(_s)
