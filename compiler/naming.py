"""How the model's layers and the augment list's entries are named: by kind, counted from 1 in
order (`dense_1`, `relu_1`, `dense_2`). `recipec check` prints these names, `--set` takes them
(`model.dropout_1.rate`, `data.augment.rotate_1.degrees`) and the run-time hyperparameters
carry them, so all three agree by construction."""
from __future__ import annotations

from typing import Iterable


def next_name(counters: dict[str, int], kind: str) -> str:
    """The name of the next `kind` (counts kept in `counters`, which the caller owns)."""
    counters[kind] = counters.get(kind, 0) + 1
    return f"{kind}_{counters[kind]}"


def numbered(kinds: Iterable[str]) -> list[str]:
    counters: dict[str, int] = {}
    return [next_name(counters, kind) for kind in kinds]
