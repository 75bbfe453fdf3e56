"""The thread policy (lower/cpu/threads.py): the chooser's decisions on a simulated machine,
and the property that makes switching safe, a result independent of the thread count and of
how a chunk is split into parts.
"""
from __future__ import annotations

import numpy as np
import pytest

import recipec
from recipec.compiler.lower.cpu import threads
from recipec.compiler.lower.cpu.threads import AdaptiveThreads, FixedThreads, ladder

from oracle import force_parallel


class Machine:
    """Seconds per step by thread count, quiet or with one busy process beside us (on 2
    cores: the second thread then waits at every parallel region, as measured)."""

    def __init__(self):
        self.now = 0.0
        self.busy = False

    def per_step(self, n: int) -> float:
        if self.busy:
            return {1: 2.0e-3, 2: 40e-3}[n]
        return {1: 1.8e-3, 2: 1.0e-3}[n]

    def clock(self) -> float:
        return self.now


def train(chooser: AdaptiveThreads, machine: Machine, seconds: float) -> tuple[int, float]:
    """Chunks sized to about 0.25 s, as Program sizes them, for `seconds` of training time;
    returns (steps done, time spent)."""
    chunk, done, start = 8, 0, machine.now
    while machine.now - start < seconds:
        elapsed = 0.0
        for n, steps in chooser.plan(chunk):
            dt = steps * machine.per_step(n)
            machine.now += dt
            elapsed += dt
            chooser.record(n, steps, dt)
        done += chunk
        chunk = max(1, min(4096, int(chunk * 0.25 / elapsed)))
    return done, machine.now - start



def test_ladder_tries_every_halving_and_one_core_less():
    assert ladder(1) == [1]
    assert ladder(2) == [2, 1]
    assert ladder(8) == [8, 7, 4, 2, 1]
    assert ladder(6) == [6, 5, 3, 1]


def test_quiet_machine_stays_on_every_thread_and_probes_back_off():
    machine = Machine()
    chooser = AdaptiveThreads(2, clock=machine.clock)
    steps, spent = train(chooser, machine, 120.0)
    assert chooser.threads() == 2
    assert chooser.gap == threads.MAX_PROBE_GAP_S
    # probing one thread now and then costs under 2 % of the quiet rate
    assert steps / spent > 0.98 / machine.per_step(2)


def test_a_busy_neighbour_moves_the_work_to_one_thread_and_back_when_it_stops():
    machine = Machine()
    chooser = AdaptiveThreads(2, clock=machine.clock)
    train(chooser, machine, 120.0)                     # long enough for the probes to back off
    machine.busy = True
    steps, spent = train(chooser, machine, 30.0)
    assert chooser.threads() == 1
    kept = (steps / spent) / (1 / machine.per_step(1))
    assert kept > 0.8, f"kept {kept:.0%} of the one-thread rate while busy"
    machine.busy = False
    train(chooser, machine, 10.0)
    assert chooser.threads() == 2


def test_restart_window_forgets_the_measurements():
    machine = Machine()
    chooser = AdaptiveThreads(2, clock=machine.clock)
    train(chooser, machine, 60.0)
    chooser.restart_window()
    assert chooser.seconds_per_step == {}
    assert chooser.gap == threads.FIRST_PROBE_S


def test_fixed_policy_never_probes():
    chooser = FixedThreads(2)
    assert all(chooser.plan(n) == [(2, n)] for n in (1, 2, 100))


def test_policy_setting_is_checked(monkeypatch):
    monkeypatch.setenv("RECIPEC_THREAD_POLICY", "greedy")
    with pytest.raises(ValueError, match="adaptive, fixed"):
        threads.policy()


RECIPE = """
data { source = npz("unused.npz") }
model {
  input [1, 8, 8]
  conv2d(4, 3, padding = same) batchnorm relu
  maxpool2d(2)
  flatten
  dense(16) relu
  dropout(0.25)
  dense(10)
}
loss = cross_entropy
optimizer = adam(lr = 0.01, weight_decay = 1e-4)
train { epochs = 1 batch = 8 seed = 3 }
"""


class Planned(FixedThreads):
    """A chooser that runs every chunk in the given parts: [(threads, steps), ...], the last
    part taking what is left."""

    def __init__(self, parts):
        super().__init__(2)
        self.parts = parts

    def plan(self, nsteps):
        out, left = [], nsteps
        for n, steps in self.parts[:-1]:
            out.append((n, min(steps, left)))
            left -= out[-1][1]
        return out + [(self.parts[-1][0], left)]


@pytest.mark.cpu
def test_result_is_bitwise_the_same_whatever_the_threads_and_the_parts(monkeypatch):
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has one thread here: nothing to compare")
    from recipec.compiler.lower.cpu import cblas

    force_parallel(monkeypatch)                 # every loop a prange,
    monkeypatch.setattr(cblas, "SPLIT_MIN_MACS", 0)     # every matrix product cut in blocks
    program = recipec.compile(recipec.loads(RECIPE, "threads.recipe"))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 64)).astype(np.float32)
    y = rng.integers(0, 10, 96).astype(np.int64)
    order = rng.permutation(96).astype(np.int64)
    lrs = np.full(12, 0.01, np.float32)
    start = program.executable.state()
    start = {k: np.copy(v) for k, v in start.items()}
    results = {}
    for name, parts in {"two": [(2, 0)], "one": [(1, 0)],
                        "mixed": [(1, 5), (2, 4), (1, 0)]}.items():
        program.executable.load_state(start)
        program.executable.threads = Planned(parts)
        losses, hits = program.executable.train_chunk(x, y, order, 0, 12, 8, lrs)
        state = program.executable.state()
        results[name] = (losses.copy(), hits.copy(),
                         {k: np.copy(v) for k, v in state.items()})
    base = results["two"]
    for name in ("one", "mixed"):
        losses, hits, state = results[name]
        assert losses.tobytes() == base[0].tobytes(), name
        assert np.array_equal(hits, base[1]), name
        for k, v in state.items():
            assert np.asarray(v).tobytes() == np.asarray(base[2][k]).tobytes(), (name, k)
