"""The IR's value types: a tensor's shape (the batch dimension is the symbol "B") and dtype.

Apart from ir.py so that the op registry (ops/) can use them without importing the graph
(ir.py calls the registry's shape rules when a node is added).
"""
from __future__ import annotations

from dataclasses import dataclass

BATCH = "B"
Dim = int | str


@dataclass(frozen=True)
class TensorType:
    shape: tuple[Dim, ...]
    dtype: str = "float32"

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __str__(self) -> str:
        return f"{self.dtype}[{', '.join(str(d) for d in self.shape)}]"
