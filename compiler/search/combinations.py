"""Every structural combination of a search space, checked before the first trial.

A choice of layer width, kernel size or activation changes shapes, so one combination can
fail where the first passed: `conv2d(choice(3, 9))` on an 8x8 input. Each combination of the
finite dimensions (choices and int ranges; the continuous ones at their low end, which the
main check already took) is substituted into the text, padded so that every line and column
stays where it was, and checked as a plain recipe. Its diagnostics point into the original
text and say which combination they belong to. Past MAX_COMBINATIONS, each dimension's values
are checked with the others at their first value, and the all-first and all-last corners.
"""
from __future__ import annotations

import itertools

from ..diagnostics import Diagnostic, RecipeError
from .space import Dimension, offsets, substitute

MAX_COMBINATIONS = 256


def combinations(space: tuple[Dimension, ...]):
    """The assignments to check: dimension -> value text, every dimension assigned."""
    finite = [d for d in space if d.finite]
    fixed = {d: d.first_text() for d in space if not d.finite}
    grids = [d.grid() for d in finite]
    total = 1
    for g in grids:
        total *= len(g)
    if total <= MAX_COMBINATIONS:
        for values in itertools.product(*grids):
            yield {**fixed, **dict(zip(finite, values))}
        return
    first = {d: g[0] for d, g in zip(finite, grids)}
    yield {**fixed, **{d: g[-1] for d, g in zip(finite, grids)}}
    for d, g in zip(finite, grids):
        for value in g:
            yield {**fixed, **first, d: value}


def check_combinations(text: str, filename: str, overrides, space) -> list[Diagnostic]:
    """The problems of every combination at the original text's positions, each said once:
    with the values that differ from the first point (which the main check passed), and not
    again for a combination that only adds values to one already reported."""
    from ..check import check_source

    first = {d: d.first_text() for d in space if d.finite}
    reported: dict[tuple, list[frozenset]] = {}
    out: list[Diagnostic] = []
    regions = [(d, *offsets(text, d.span)) for d in space]

    def changed(assignment):
        return frozenset(d for d in first if assignment[d] != first[d])

    for assignment in sorted(combinations(space), key=lambda a: len(changed(a))):
        cause = changed(assignment)
        if not cause:
            continue
        try:
            check_source(substitute(text, assignment, pad=True), filename, overrides,
                         point=True)
        except RecipeError as err:
            shown = ", ".join(f"{d.name} = {' '.join(assignment[d].split())}"
                              for d in space if d in cause)
            for diag in err.diagnostics:
                span = _original_span(text, diag.span, regions)
                seen = reported.setdefault((span, diag.code), [])
                if any(old <= cause for old in seen):
                    continue
                seen.append(cause)
                out.append(Diagnostic(span, diag.code, f"{diag.message} (when {shown})",
                                      diag.hint, diag.severity))
    return out


def _original_span(text, span, regions):
    """A span inside a substituted value is the dimension's call; others did not move."""
    if span.file.startswith("<"):
        return span
    a, _ = offsets(text, span)
    for dim, start, end in regions:
        if start <= a < end:
            return dim.span
    return span
