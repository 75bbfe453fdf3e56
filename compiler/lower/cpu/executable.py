"""The CPU Executable: the recipe's two kernels as C entry points, state in host arrays.

The generated module is written to the kernel cache and imported (module.py); its entry points
load their machine code at the first call (machine_code.py). The state tensors are the arrays
the kernels update in place, so state() hands them out without a copy.
"""
from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from .. import abi
from ..cache import load_source
from ..executable import Executable
from . import helper
from .threads import FixedThreads, chooser, compiled_region


class CpuExecutable(Executable):
    target = "cpu"

    def __init__(self, graphs, options):
        from . import sources

        super().__init__(graphs)
        library_source, module_source = sources(graphs, options)
        self.library = load_source(library_source, "cpu", kind="lib")
        self.kernels = load_source(module_source, "cpu")
        self.kernels.library = self.library.path
        self.module = self.kernels.module
        self._depth = 0
        self.threads = chooser()          # how many threads each chunk uses (threads.py)
        self._nthreads = self.threads.threads()

    # -- running ----------------------------------------------------------------------------
    def limit_threads(self, most: int) -> None:
        """A fixed count of min(most, the machine's) threads per chunk. The matrix products
        keep being cut into `threads.most` blocks, so every product rounds as before. Why fixed:
        two trainings of one process each opening 2-thread parallel regions on 2 cores wait at
        every region's barrier for a thread the other one holds (measured on the digits
        search: see runtime/search/command.py)."""
        self.threads = FixedThreads(self.threads.most,
                                    current=max(1, min(most, self.threads.most)))
        self._nthreads = self.threads.threads()

    @contextlib.contextmanager
    def session(self):
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with compiled_region():
                yield
        finally:
            self._depth = 0

    def train_chunk(self, x, y, order, first, nsteps, batch, lrs):
        """As Executable.train_chunk, in the parts the thread chooser plans (usually one),
        each timed for it. Parts give bitwise the same result as one call: the step counter
        and each step's rows and learning rate go with the step, not with the call."""
        losses, corrects, done = [], [], 0
        for threads, steps in self.threads.plan(nsteps):
            self._nthreads = threads
            start = time.perf_counter()
            part = super().train_chunk(x, y, order, first + done * batch, steps, batch,
                                       lrs[done:done + steps])
            self.threads.record(threads, steps, time.perf_counter() - start)
            losses.append(part[0])
            corrects.append(part[1])
            done += steps
        if len(losses) == 1:
            return losses[0], corrects[0]
        return np.concatenate(losses), np.concatenate(corrects)

    def predict_chunk(self, x, order, first, nsteps, batch, out):
        self._nthreads = self.threads.threads()
        super().predict_chunk(x, order, first, nsteps, batch, out)

    def _call(self, kernel: str, named: dict, state: list[np.ndarray]) -> None:
        import numba

        # `nthreads` says how many blocks a large matrix product is cut into: always the most
        # threads the chooser may use, so the blocks, and the rounding of every product, are
        # the same whichever count runs them (OpenBLAS's edge kernels round differently from
        # its main kernel, so a product cut otherwise differs in the last bits).
        # set_num_threads (thread-local) sizes the prange regions launched from this thread.
        named = dict(named, nthreads=self.threads.most)
        before = numba.get_num_threads()
        numba.set_num_threads(self._nthreads)
        try:
            with self.session():
                getattr(self.module, kernel)(*self.positional(kernel, named, state))
        finally:
            numba.set_num_threads(before)

    def warm_up(self) -> None:
        """Load (or compile) both kernels: train_chunk here while a helper process compiles
        predict_chunk into the machine-code cache, which this process then loads."""
        train = self.graphs.train
        feature = math.prod(int(d) for d in train.input_named("x").shape[1:])
        x = np.zeros((1, feature), np.float32)
        ytype = train.input_named("y").type
        y = np.zeros((1,) + tuple(int(d) for d in ytype.shape[1:]), ytype.dtype)
        out_shape = tuple(int(d) for d in self.graphs.predict.outputs["output"].shape[1:])
        order = np.zeros(1, np.int64)
        ahead = None
        if not helper.cached(self.kernels.path, "predict_chunk"):
            ahead = helper.start([self.library.path, self.kernels.path], ["predict_chunk"])
        step = self.counters["step"]
        with self.session():
            self.train_chunk(x, y, order, 0, 0, 1, np.zeros(1, np.float32))
            helper.finish(ahead)
            self.predict_chunk(x, order, 0, 0, 1, np.zeros((1,) + out_shape, np.float32))
        self.counters["step"] = step

    def listing(self) -> str:
        return ("# ---- shared helper library (compiled once per machine) ----\n"
                + self.library.source
                + "\n# ---- this recipe's kernels ----\n" + self.kernels.source)


    @property
    def from_cache(self) -> dict[str, bool | None]:
        """Whether each kernel's machine code came from the cache (None: not loaded yet)."""
        return {k: getattr(self.module, k).from_cache for k in abi.KERNELS}
