"""Static check: recipe text -> typed, defaulted `Recipe`, or a RecipeError listing every problem.

Error codes (see each module for the exact messages):
  E000 file unreadable      E001 syntax           E002 malformed --set override
  E101 unknown section/key  E102 unknown layer    E103 unknown option
  E104 unknown choice       E105 duplicate        E106 missing required
  E107 empty block (`model { }`, `data { }`, `train { }`, `residual { }`)
  E201 wrong type/form      E202 out of range (and integers beyond 64 bits)
  E203 too many/misplaced positional args (the help lists the call's options)
  E301 bad/missing input    E302 shape mismatch (a kernel or window larger than its padded
                            input: at that option)    E303 loss/output mismatch
  E304 metric incompatible with loss
  E305 augmentation incompatible with the input: an image augment on a flat input, or a
       magnitude as large as the image (`shift(28)` on 28×28: at that option)
  E306 the model ends in the activation its loss applies itself (softmax before cross_entropy)
  E307 training would not fit in this machine's memory (check/memory.py; at the largest layer)
  E308 nothing to train: every layer with parameters is frozen (check/transfer.py)
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ..diagnostics import Diagnostic, RecipeError, Span
from ..recipe import Recipe
from ..syntax import decode, parse
from .overrides import apply_overrides, override_texts
from .toplevel import check_ast
from .values import Ctx

__all__ = ["check_source", "check_file", "CODES"]

CODES = {
    "E000": "file cannot be read", "E001": "syntax error", "E002": "malformed override",
    "E101": "unknown section or key", "E102": "unknown layer", "E103": "unknown option",
    "E104": "unknown choice", "E105": "duplicate", "E106": "missing required",
    "E107": "empty block",
    "E201": "wrong type", "E202": "out of range", "E203": "bad positional arguments",
    "E301": "bad model input", "E302": "shape mismatch", "E303": "loss/output mismatch",
    "E304": "metric incompatible with loss",
    "E305": "augmentation incompatible with the input shape",
    "E306": "output activation the loss applies itself",
    "E307": "does not fit in memory",
    "E308": "every parameter frozen",
    "E309": "distillation teacher missing or unlike the student",
}


def check_source(text: str, filename: str, overrides: dict[str, str] | list[str] = (),
                 point: bool = False, stored: bool = False) -> Recipe:
    """Parse and check `text`; raises RecipeError(diagnostics, source=text) on any problem.
    `point`: the text is one point of a search space (a trial's recipe), whose search section
    has nothing left to search. `stored`: the recipe of a saved model (its distillation
    teacher is not looked for: the model is trained)."""
    file = parse(text, filename)
    ctx = Ctx(filename, text)
    ctx.point = point
    ctx.stored = stored
    if overrides:
        file = apply_overrides(ctx, file, overrides)
    recipe = check_ast(ctx, file, text)
    if recipe is not None and recipe.space and not ctx.diagnostics:
        from ..search.combinations import check_combinations
        ctx.diagnostics += check_combinations(text, filename, overrides, recipe.space)
    if ctx.diagnostics or recipe is None:
        # Report in reading order; override problems (file `<--set>`) come last.
        diags = sorted(ctx.diagnostics, key=lambda d: (0, d.span.line, d.span.col)
                       if d.span.file == filename else (1, 0, 0))
        raise RecipeError(diags, source=text)
    if overrides:       # kept as given, so a model artefact rebuilds the same graphs
        recipe = replace(recipe, overrides=tuple(str(t) for t in override_texts(overrides)))
    return recipe


def check_file(path: str | os.PathLike, overrides: dict[str, str] | list[str] = ()) -> Recipe:
    """Read (bytes, UTF-8) and check a .recipe file; unreadable files are an E000."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        reason = e.strerror or str(e)
        raise RecipeError([Diagnostic(Span(name, 1, 1, 1, 1), "E000",
                                      f"cannot read recipe: {reason}")]) from None
    return check_source(decode(data, name), name, overrides)
