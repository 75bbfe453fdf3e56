"""Did-you-mean hints for misspelt names (sections, keys, layers, options, choices)."""
from __future__ import annotations

import difflib
from typing import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The most similar candidate, or None if nothing is close enough to be a likely typo."""
    cands = list(candidates)
    match = difflib.get_close_matches(word, cands, n=1, cutoff=0.6)
    if not match:  # case slips (`Dense`) are typos too, even if difflib scores them low
        match = [c for c in cands if c.lower() == word.lower()]
    return match[0] if match else None


def hint(word: str, candidates: Iterable[str]) -> str | None:
    """`did you mean `x`?` if one is close, else the list of valid names (short lists only)."""
    cands = sorted(set(candidates))
    best = closest(word, cands)
    if best is not None:
        return f"did you mean `{best}`?"
    if not cands:
        return None
    if len(cands) <= 12:
        return "expected one of: " + ", ".join(f"`{c}`" for c in cands)
    return None
