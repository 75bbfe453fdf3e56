"""`recipec.load_model(path)`: a trained model read back from its folder, ready to predict
and evaluate.

The recipe is checked again from its stored text with its stored overrides (the same
graphs), its prediction kernels are compiled (the kernel cache makes that a load) and the
weights put in; inputs are prepared with the stored statistics (preparation.py) through
`Program.prepare_inputs`, so predict() takes what `Program.predict` takes, with its messages.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..class_weights import set_balanced
from ..data.dataset import Data, Split
from ..errors import ModelError
from ..program import SPLITS
from .artifact import read_artifact
from .preparation import from_state


class LoadedModel:
    """A model folder's recipe, weights and preparation.

    predict(x): as `Program.predict` (raw samples; class probabilities, sigmoid probabilities
    or outputs). evaluate(split_or_data): the loss and the recipe's metrics on the recipe's
    own "test" (default), "validation" or "train" split (read from the recipe's data paths,
    relative to the recipe's original folder), on another data file (a path), or on raw
    arrays (x, y); every one prepared with the stored statistics, never fitted again."""

    def __init__(self, folder: str | Path):
        from ...compiler.check import check_source
        from ...compiler.pipeline import compile_recipe
        from ..program import Program

        artifact = read_artifact(Path(folder))
        self.folder = Path(folder)
        self.manifest = artifact.manifest
        info = artifact.manifest["recipe"]
        self.recipe = check_source(artifact.recipe_text, info["path"], info["overrides"],
                                   stored=True)
        try:
            self._prep = from_state(artifact.prep, artifact.manifest["preparation"])
        except (KeyError, ValueError, TypeError) as err:
            raise ModelError(f"{folder}: damaged model: its preparation cannot be read "
                             f"({err})", "M002") from None
        program = Program(self.recipe, compile_recipe(self.recipe, "cpu", lower=False),
                          info["folder"])
        program.data = self._prep
        if artifact.manifest.get("class_weights"):
            set_balanced(program.graphs, tuple(artifact.manifest["class_weights"]))
        self._check_tensors(artifact.tensors, program.graphs)
        program.executable.load_state(artifact.tensors)      # compiles (or loads) kernels
        self.program = program
        self._splits: Data | None = None

    def _check_tensors(self, tensors: dict[str, np.ndarray], graphs) -> None:
        want = {t.name: (tuple(t.shape), "float32") for t in (*graphs.params, *graphs.stats)}
        if set(tensors) != set(want):
            missing, extra = sorted(set(want) - set(tensors)), sorted(set(tensors) - set(want))
            raise ModelError(f"{self.folder}: damaged model: its tensors are not this recipe's "
                             f"(missing {missing[:3]}, unknown {extra[:3]})", "M002")
        for name, (shape, dtype) in want.items():
            got = tensors[name]
            if tuple(got.shape) != shape or got.dtype != np.dtype(dtype):
                raise ModelError(f"{self.folder}: damaged model: tensor {name} is {got.dtype} "
                                 f"{list(got.shape)}, the recipe's is {dtype} {list(shape)}",
                                 "M002")

    @property
    def class_names(self) -> tuple[str, ...] | None:
        return self._prep.class_names

    @property
    def task(self):
        return self._prep.task

    @property
    def preparation(self) -> Data:
        """The stored preparation, as a Data with no rows (preparation.py)."""
        return self._prep

    def predict(self, x, normalized: bool = False) -> np.ndarray:
        """As `Program.predict`, with the stored preparation."""
        return self.program.predict(x, normalized)

    def evaluate(self, split_or_data="test", labels: str | None = None) -> dict[str, float]:
        """The loss and the recipe's metrics (the class docstring says on what)."""
        return self.program.evaluate_part(self.rows(split_or_data, labels))

    def metric_details(self, split_or_data="test", labels: str | None = None) -> dict:
        """Per-class values and confusion matrices of the recipe's metrics ({} if none)."""
        return self.program.part_details(self.rows(split_or_data, labels))

    def rows(self, split_or_data="test", labels: str | None = None) -> Split:
        """The prepared rows evaluate() reads."""
        if isinstance(split_or_data, tuple):
            x, y = split_or_data
            return Split(self.program.prepare_inputs(x), self._labels(y, len(x)))
        if isinstance(split_or_data, str) and split_or_data in SPLITS:
            splits = self.splits()
            part = getattr(splits, split_or_data)
            if part is None:                    # Program.evaluate's message says which exist
                self.program.data = splits
                try:
                    self.program.evaluate(split_or_data)
                finally:
                    self.program.data = self._prep
            return part
        if isinstance(split_or_data, (str, Path)):
            from .data_file import read_data_file
            return read_data_file(str(split_or_data), self.recipe, self._prep, labels).train
        raise TypeError(f"evaluate takes a split name ({', '.join(SPLITS)}), a data file's "
                        f"path or (x, y) arrays; got {type(split_or_data).__name__}")

    def splits(self) -> Data:
        """The recipe's own splits (the same seeded split as its training), prepared with the
        stored statistics."""
        if self._splits is None:
            from ..data import load_data
            from ..data.check import located

            fold = self.manifest.get("fold")
            with located(self.recipe):
                self._splits = load_data(self.recipe.data, self.task, self.recipe.split_seed,
                                         self.program.base_dir, fold=fold, fitted=self._prep)
        return self._splits

    def _labels(self, y, n: int) -> np.ndarray:
        task = self.task
        y = np.asarray(y)
        if y.shape[:1] != (n,):
            raise ValueError(f"evaluate((x, y)): y has shape {y.shape}, expected {n} labels")
        if task.class_labels:
            classes = task.classes_of(self.recipe.model.output_shape)
            if y.dtype.kind not in "iu" or (y.size and not 0 <= int(y.min()) <= int(y.max())
                                            < classes):
                raise ValueError(f"evaluate((x, y)): y must be class indices 0 to "
                                 f"{classes - 1}")
            return np.ascontiguousarray(y, np.int64)
        return np.ascontiguousarray(y.reshape((n,) + tuple(self._prep.target_shape)),
                                    np.float32)
