"""When generated code is parallel: the `parallel` option of every C entry point (entry.py)
and the size below which a loop stays serial."""
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


# A prange loop opens a parallel region: ~3 us on these machines (2 cores, omp layer), what a
# serial loop takes for ~30k simple elements. Smaller loops stay serial (measured: at batch 64
# an MLP step opened 14 regions, ~40 us of a 300 us step).
PARALLEL_MIN_ELEMENTS = 32768
