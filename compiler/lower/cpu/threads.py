"""Who owns the cores: Numba's prange or BLAS. Decided once, deliberately.

Both pools spinning at once oversubscribes the cores (measured 35-80x slower on 2 cores), so
exactly one of them is multi-threaded while compiled code runs:

  RECIPEC_THREADS=numba  (default) kernels are compiled with parallel=True, prange loops own the
                         cores and BLAS is limited to one thread per call; each large matrix
                         product is cut into one block per thread (lower/cpu/cblas.py), so the
                         products use every core too.
  RECIPEC_THREADS=blas   kernels are compiled serial (parallel=False: prange acts as range) and
                         BLAS runs each matrix product on every core.

Measured on 2 cores, samples/s (MLP 784-128-10 SGD at batch 64 / 256; MLP 784-512-256-10 Adam
at batch 128), before products were cut into per-thread blocks (numba then ran every product
on one core):
  quiet machine    numba 167k / 202k / 35k     blas 219k / 273k / 56k
  machine shared   numba 166k / 172k / 20k     blas 110k (3.8k-217k) / 19k / 3.6k
OpenBLAS's worker threads spin-wait for each other after every call; when another process
takes a core they lose whole scheduler slices per matrix product, and a convnet's many small
products collapsed to ~50 samples/s. `blas` is faster on a dedicated quiet machine; `numba`
degrades gracefully on a shared one, so it is the default.

How many of the prange threads a chunk uses is a second choice, RECIPEC_THREAD_POLICY:

  adaptive (default)  chosen per train chunk from measured step times (AdaptiveThreads below)
  fixed               always every thread Numba has

Why: a parallel region splits its loop evenly over the threads and ends at a barrier, so when
another process takes one of the cores every region waits for the descheduled thread; a step
runs tens to hundreds of regions. Measured on 2 cores with one CPU-bound process beside us
(before this policy): the Keras convnet fell from 79-90 to 6-10 steps/s and digits_mlp from
~22,700 to 109-207 steps/s, while one thread at the same moment ran ~29,000. Fewer threads
than cores lose at most the parallel speed-up; more threads than the process gets lose 10-100x.
So the policy measures instead of guessing: it runs on the thread count with the best measured
seconds per step and now and then times a neighbouring count on a small slice of a chunk.
Results do not depend on the count, so switching is invisible to training: every reduction is
split by output element, never across threads, and a large matrix product is cut into as many
blocks as the most threads allowed, whichever count then runs the blocks
(tests/test_thread_policy.py checks it bitwise).
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field

from threadpoolctl import threadpool_limits

LAYOUTS = ("numba", "blas")
POLICIES = ("adaptive", "fixed")


def layout() -> str:
    value = os.environ.get("RECIPEC_THREADS", "numba")
    if value not in LAYOUTS:
        raise ValueError(f"RECIPEC_THREADS must be one of {', '.join(LAYOUTS)}, got {value!r}")
    return value


def numba_owns_cores() -> bool:
    return layout() == "numba"


@contextlib.contextmanager
def compiled_region():
    if numba_owns_cores():
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    else:
        yield


def policy() -> str:
    value = os.environ.get("RECIPEC_THREAD_POLICY", "adaptive")
    if value not in POLICIES:
        raise ValueError(f"RECIPEC_THREAD_POLICY must be one of {', '.join(POLICIES)}, "
                         f"got {value!r}")
    return value


def available_threads() -> int:
    """Numba's thread count, capped by the cores this process may run on (a cgroup or
    taskset limit that Numba's default, the machine's core count, does not see)."""
    import numba

    most = numba.get_num_threads()
    try:
        most = min(most, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        pass
    return max(1, most)


def ladder(most: int) -> list[int]:
    """Thread counts worth trying, most first: every count, halving, plus most - 1 (one
    process beside us on a many-core machine takes one core, not half of them)."""
    counts = {most, max(1, most - 1), 1}
    n = most
    while n > 1:
        n //= 2
        counts.add(max(1, n))
    return sorted(counts, reverse=True)


# The adaptive policy's constants. Seconds are wall time of training, not steps, so they mean
# the same for a 40-microsecond MLP step and a 20-millisecond convnet step.
WINDOW_S = 0.2            # the current count's step time is judged over this much time
PROBE_S = 0.05            # a probe lasts until both counts have run this long (one scheduler
                          # slice is 3-4 ms: shorter measurements are noise)
FIRST_PROBE_S = 1.0       # first look at a neighbouring count this long after starting
MAX_PROBE_GAP_S = 32.0    # probes that lose back off, doubling up to this gap
BETTER = 0.95             # a count must be 5 % faster per step to take over (no flapping)
CHANGED = 1.4             # the current count's step time moved this much from one window to
                          # the next: the machine changed, look around at once
DOWN_SLICE = 2            # a probe of fewer threads takes 1/2 of each chunk (at worst `most`x
                          # slower per step, so it costs at most most/2 of a chunk, once)
UP_SLICE = 16             # a probe of more threads takes 1/16 (on a busy machine it can be
                          # 10-100x slower per step)


@dataclass
class _Tally:
    steps: int = 0
    seconds: float = 0.0

    def add(self, steps: int, seconds: float) -> None:
        self.steps += steps
        self.seconds += seconds

    @property
    def per_step(self) -> float:
        return self.seconds / self.steps


@dataclass
class AdaptiveThreads:
    """Chooses each train chunk's thread count from measured seconds per step.

    `plan(nsteps)` says how to run a chunk: usually all of it on the current count; while a
    probe runs, a small first slice of each chunk on a neighbouring count and the rest on the
    current one. `record(threads, steps, seconds)` takes each part's measurement. Measurements
    add up across chunks (an epoch of a small data set can be a 3 ms chunk): a probe ends
    when both counts have run PROBE_S, and the probed count takes over if it was faster per
    step over the same stretch of time. Probes that lose back off exponentially; when the
    current count's step time over one WINDOW_S differs from the window before by CHANGED
    (another process started or stopped), the next probe starts at once.
    """
    most: int
    clock: callable = time.monotonic
    current: int = 0
    counts: list[int] = field(default_factory=list)
    seconds_per_step: dict[int, float] = field(default_factory=dict)
    gap: float = FIRST_PROBE_S
    next_probe: float = 0.0
    probe: int | None = None
    _window: _Tally = field(default_factory=_Tally)
    _tallies: dict[int, _Tally] = field(default_factory=dict)
    _upward: bool = False

    def __post_init__(self):
        self.counts = ladder(self.most)
        self.current = self.current or self.most
        self.restart_window()

    def restart_window(self) -> None:
        """Forget what was measured (the machine is another one now): the next chunks start
        from the current count and probe again soon."""
        self.seconds_per_step.clear()
        self.gap = FIRST_PROBE_S
        self.next_probe = self.clock() + FIRST_PROBE_S
        self.probe = None
        self._window = _Tally()

    def threads(self) -> int:
        return self.current

    def neighbours(self) -> list[int]:
        i = self.counts.index(self.current)
        return [self.counts[j] for j in (i + 1, i - 1) if 0 <= j < len(self.counts)]

    def plan(self, nsteps: int) -> list[tuple[int, int]]:
        """[(threads, steps), ...] covering the chunk's nsteps steps, in order."""
        if self.probe is None and len(self.counts) > 1 and self.clock() >= self.next_probe:
            self._start_probe()
        if self.probe is None or nsteps < 2:
            return [(self.current, nsteps)]
        part = max(1, nsteps // (UP_SLICE if self.probe > self.current else DOWN_SLICE))
        return [(self.probe, part), (self.current, nsteps - part)]

    def _start_probe(self) -> None:
        options = self.neighbours()
        # alternate directions; only one way when the current count is at an end
        self._upward = not self._upward if len(options) > 1 else options[0] > self.current
        self.probe = max(options) if self._upward else min(options)
        self._tallies = {self.probe: _Tally(), self.current: _Tally()}

    def record(self, threads: int, steps: int, seconds: float) -> None:
        if steps <= 0:
            return
        if self.probe is not None:
            self._tallies[threads].add(steps, seconds)
            if min(t.seconds for t in self._tallies.values()) >= PROBE_S:
                self._decide()
            return
        self._window.add(steps, seconds)
        if self._window.seconds < WINDOW_S:
            return
        now, before = self._window.per_step, self.seconds_per_step.get(self.current)
        self.seconds_per_step[self.current] = now
        self._window = _Tally()
        if before is not None and not (1 / CHANGED < now / before < CHANGED):
            self.gap = FIRST_PROBE_S
            self.next_probe = self.clock()

    def _decide(self) -> None:
        probe, tallies = self.probe, self._tallies
        self.probe = None
        self.seconds_per_step[probe] = tallies[probe].per_step
        self.seconds_per_step[self.current] = tallies[self.current].per_step
        if tallies[probe].per_step < BETTER * tallies[self.current].per_step:
            self.current = probe
            self.gap = FIRST_PROBE_S          # look further in the same direction soon
            self._upward = not self._upward   # (_start_probe flips it back)
        else:
            self.gap = min(MAX_PROBE_GAP_S, self.gap * 2)
        self.next_probe = self.clock() + self.gap
        self._window = _Tally()


class FixedThreads(AdaptiveThreads):
    """Every thread, every chunk (RECIPEC_THREAD_POLICY=fixed)."""

    def plan(self, nsteps: int) -> list[tuple[int, int]]:
        return [(self.current, nsteps)]


def chooser() -> AdaptiveThreads:
    """The thread chooser for one executable, by RECIPEC_THREAD_POLICY; one thread when BLAS
    owns the cores (the kernels are serial)."""
    if not numba_owns_cores():
        return FixedThreads(1)
    most = available_threads()
    return (AdaptiveThreads if policy() == "adaptive" else FixedThreads)(most)
