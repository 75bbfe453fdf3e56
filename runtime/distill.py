"""The teacher of `distill { ... }`: its softened outputs on the student's rows, packed with
the labels into the training step's targets (compiler/ops/distill.py says the layout).

A `model("folder")` teacher is a saved model, loaded; a `recipe("file")` teacher (or a plain
string) is that recipe, trained first, in this process, on its own data section. Either way
the teacher reads the student's rows: the student's normalization is undone and the
teacher's applied (nothing when the two are the same), so both see the same samples after
the data's conversion and cleaning. The targets are computed once per split and kept.
"""
from __future__ import annotations

import weakref

import numpy as np

from ..compiler.recipe import DistillSpec
from .data.dataset import Data, Split
from .data.preprocess import normalize_array


class Teacher:
    def __init__(self, program, spec: DistillSpec, description: str):
        self.program = program            # the teacher's Program (its preparation in .data)
        self.spec = spec
        self.description = description
        self._packed: dict[int, tuple[weakref.ref, np.ndarray]] = {}

    @classmethod
    def of(cls, spec: DistillSpec, recipe_path: str | None, on_train=None) -> "Teacher":
        """Load or train the teacher; `on_train(path)` is told before a recipe trains."""
        from .. import compile as compile_recipe, load
        from .model import load_model

        where = spec.resolved(recipe_path)
        if spec.teacher == "model":
            return cls(load_model(where).program, spec, f"model {where}")
        if on_train is not None:
            on_train(where)
        program = compile_recipe(load(where))
        program.fit()
        return cls(program, spec, f"recipe {where}, trained")

    def _inputs(self, x: np.ndarray, student: Data) -> np.ndarray:
        """The student's prepared rows as the teacher's preparation would have them."""
        mine = self.program.load_data()
        same = (_equal(student.norm_shift, mine.norm_shift)
                and _equal(student.norm_scale, mine.norm_scale))
        if same:
            return x
        rows = x.astype(np.float64)
        if student.norm_shift is not None:
            rows = rows * student.norm_scale.astype(np.float64) + student.norm_shift
        return normalize_array(rows, mine.norm_shift, mine.norm_scale)

    def soft_targets(self, x: np.ndarray, student: Data) -> np.ndarray:
        """softmax(teacher logits / T), float32 [N, C], for prepared rows x [N, ...]."""
        logits = self.program.outputs(self._inputs(x, student)).astype(np.float64)
        z = logits / self.spec.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    def packed(self, split: Split, student: Data) -> np.ndarray:
        """The split's training targets [N, C + 1]: soft targets, then the label."""
        held = self._packed.get(id(split))
        if held is not None and held[0]() is split:
            return held[1]
        if split.streamed:
            soft = np.concatenate([self.soft_targets(block, student)
                                   for block in split.x.blocks(4096)])
        else:
            soft = self.soft_targets(split.x, student)
        out = np.empty((len(soft), soft.shape[1] + 1), np.float32)
        out[:, :-1] = soft
        out[:, -1] = split.y
        self._packed = {k: v for k, v in self._packed.items() if v[0]() is not None}
        self._packed[id(split)] = (weakref.ref(split), out)
        return out

    def agreement(self, split: Split, student: Data) -> float:
        """The teacher's accuracy on the split's labels (what the note and report quote)."""
        soft = self.packed(split, student)
        return float((soft[:, :-1].argmax(axis=1) == split.y).mean())


def _equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b))
