"""The trained model as an artefact (artifact.py), read back as a LoadedModel (loaded.py)."""
from __future__ import annotations

from pathlib import Path

from .artifact import read_artifact, save_model

__all__ = ["save_model", "read_artifact", "load_model", "resolve_model"]


def resolve_model(text: str | Path, runs: str | None = None) -> Path:
    """The model folder MODEL names on the command line: a folder's path, or a run of the run
    store in `runs` (its id, `last` or `last-N`) when no such path exists."""
    from ..store.refs import model_of, run_ref

    if not Path(text).exists() and run_ref(str(text)) is not None:
        return model_of(str(text), runs)
    return Path(text)


def load_model(path: str | Path):
    """A model folder as a LoadedModel (predict, evaluate, class_names, recipe)."""
    from .loaded import LoadedModel

    return LoadedModel(resolve_model(path))
