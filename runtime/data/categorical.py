"""Text feature columns of a table (csv, parquet, feather) one-hot encoded into numbers.

A column none of whose cells is a number is categorical (the readers keep its text:
raw.TextColumn). Its categories are the sorted distinct values of the whole training file
(validation rows included: they are not labels, and a category seen only there still gets
its column); each becomes one 0/1 feature column, in place of the text column. A missing
cell (with `impute = ...`) and, in a `test = ...` file, a category the training file does
not have are all-zero rows. `Data.categories` keeps the lists; `predict()` takes the encoded
numeric rows (README: "Categorical columns").
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import D003, DataError
from .raw import RawData, TextColumn


@dataclass(frozen=True)
class Category:
    """One encoded text column: its name, where its columns start in the encoded rows, and
    the categories those columns stand for, in order."""

    name: str
    start: int
    values: tuple[str, ...]


def encode_categories(raw: RawData, test: RawData | None
                      ) -> tuple[RawData, RawData | None, tuple[Category, ...]]:
    """`raw` and `test` with their text columns one-hot encoded by `raw`'s categories."""
    if test is not None and _layout(test) != _layout(raw):
        raise DataError(f"test source {test.origin}: its text (categorical) columns "
                        f"{_names(test)} are not the training source's {_names(raw)}", D003,
                        test.path, key="test",
                        hint="a column must hold text in both files or numbers in both")
    fitted = [(c.index, c.name, tuple(sorted(set(c.values.tolist()) - {""})))
              for c in raw.text]
    cats, start, by_index = [], 0, {i: (n, v) for i, n, v in fitted}
    for j in range(raw.x.shape[1]):
        if j in by_index:
            name, values = by_index[j]
            cats.append(Category(name, start, values))
            start += len(values)
        else:
            start += 1
    raw = replace(raw, x=encode(raw.x, raw.text, tuple(cats)), text=())
    if test is not None:
        test = replace(test, x=encode(test.x, test.text, tuple(cats)), text=())
    return raw, test, tuple(cats)


def encode_known(raw: RawData, test: RawData | None, cats: tuple[Category, ...]
                 ) -> tuple[RawData, RawData | None, tuple[Category, ...]]:
    """`raw` and `test` encoded by categories fitted before (a model artefact's): their text
    columns must be the ones those categories were made from."""
    for part in (raw,) + ((test,) if test is not None else ()):
        if tuple(c.name for c in part.text) != tuple(c.name for c in cats):
            raise DataError(f"{part.origin}: its text (categorical) columns {_names(part)} are "
                            f"not the ones the model was trained with "
                            f"{[c.name for c in cats] or '(none)'}", D003, part.path,
                            hint="a column must hold text in both files or numbers in both")
    if not cats:
        return raw, test, cats
    raw = replace(raw, x=encode(raw.x, raw.text, cats), text=())
    if test is not None:
        test = replace(test, x=encode(test.x, test.text, cats), text=())
    return raw, test, cats


def encode(x: np.ndarray, text: tuple[TextColumn, ...], cats: tuple[Category, ...]
           ) -> np.ndarray:
    """float32 rows [N, F'] of `x` [N, F] with each text column's one-hot columns in its place
    (an unknown or missing category: all zeros)."""
    values = {c.index: c.values for c in text}
    parts, cat_iter = [], iter(cats)
    for j in range(x.shape[1]):
        if j in values:
            cat = next(cat_iter)
            parts.append((values[j][:, None] == np.asarray(cat.values, dtype=str)[None, :])
                         .astype(np.float32))
        else:
            parts.append(np.asarray(x[:, j:j + 1], dtype=np.float32))
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def one_hot_mask(cats: tuple[Category, ...], width: int) -> np.ndarray:
    """bool [width]: True for the encoded rows' one-hot columns (outlier bounds skip them)."""
    mask = np.zeros(width, bool)
    for c in cats:
        mask[c.start:c.start + len(c.values)] = True
    return mask


def _layout(raw: RawData) -> list[tuple[int, str]]:
    return [(c.index, c.name) for c in raw.text]


def _names(raw: RawData) -> str:
    return "[" + ", ".join(f"'{c.name}'" for c in raw.text) + "]" if raw.text else "(none)"
