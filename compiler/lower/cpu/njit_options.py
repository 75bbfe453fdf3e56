"""The `parallel` argument every generated C entry point gets (lower/cpu/entry.py)."""
from __future__ import annotations

# Only the explicit prange loops the emitters write become parallel regions. Numba's other
# auto-parallel transforms (array expressions, slice assignments and .sum() turned into
# parfors, and fusing neighbouring parfors) would add parallel regions we did not choose:
# each costs a few microseconds per step at run time and ~0.1-0.3 s of compile time.
PRANGE_ONLY = ("{'prange': True, 'fusion': False, 'numpy': False, 'setitem': False, "
               "'reduction': False, 'comprehension': False, 'inplace_binop': False, "
               "'stencil': False}")


def parallel_option(parallel: bool) -> str:
    return PRANGE_ONLY if parallel else "False"
