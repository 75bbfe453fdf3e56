"""The CUDA Executable: the whole run resident on the device.

The state tensors live in the device arenas (layout.py) for the whole run; the host arrays
the base class holds are a mirror, brought up to date only when someone asks for the state
(checkpoints, the divergence check, evaluation's metrics) and pushed back after load_state.
The data splits are copied to the device once each and kept while their arrays live; a
chunk copies its visiting order (once per epoch), its learning rates, and back its losses
and correct counts. `copies` counts every transfer (tests/test_cuda.py holds it to that).
"""
from __future__ import annotations

import weakref

import numpy as np

from ..cache import load_source
from ..executable import Executable
from . import device
from .module import emit_module


class CudaExecutable(Executable):
    target = "cuda"

    def __init__(self, graphs, options):
        super().__init__(graphs)
        self.cuda = device.cuda()
        source, self.train_layout, self.predict_layout = emit_module(
            graphs.train, graphs.predict, graphs.hypers)
        self.kernels = load_source(source, "cuda")
        self.module = self.kernels.module
        self.blocks, self.threads = device.launch_shape(self.cuda)
        self.copies = {"to_device": 0, "to_host": 0}
        self._capacity = 0                # rows the arenas' buffers hold (BMAX)
        self._batch = max(1, int(options.batch))  # the recipe's: the arenas' first capacity
        self._arenas: dict[str, object] = {}
        self._resident: dict[int, tuple] = {}    # id(owner) -> (weakref, key, device array)
        self._device_newer = False        # the device state changed since the last pull
        self._host_newer = True           # the host mirror changed since the last push
        self._hypers_sent: np.ndarray | None = None
        self._hypers_device = None

    # -- transfers ------------------------------------------------------------------------
    def _to_device(self, host: np.ndarray):
        self.copies["to_device"] += 1
        return self.cuda.to_device(np.ascontiguousarray(host))

    def _to_host(self, array) -> np.ndarray:
        self.copies["to_host"] += 1
        return array.copy_to_host()

    def _on_device(self, host: np.ndarray):
        """A device copy of `host`, made once while the array (or the array it views) lives."""
        owner = host
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        key = (host.__array_interface__["data"][0], host.shape, host.dtype.str)
        held = self._resident.get(id(owner))
        if held is not None and held[0]() is owner and held[1] == key:
            return held[2]
        copy = self._to_device(host)
        self._resident = {k: v for k, v in self._resident.items() if v[0]() is not None}
        self._resident[id(owner)] = (weakref.ref(owner), key, copy)
        return copy

    def _state_spans(self):
        """(arena, start, end) of the state tensors in each arena."""
        spans: dict[str, list[int]] = {}
        for arena, offset, shape in self.train_layout.state.values():
            end = offset + max(1, int(np.prod(shape)))
            lo, hi = spans.get(arena, [offset, end])
            spans[arena] = [min(lo, offset), max(hi, end)]
        return spans

    def _ensure(self, rows: int) -> None:
        """Arenas with room for `rows` rows, the state in them."""
        if rows <= self._capacity and self._arenas:
            if self._host_newer:
                self._push()
            return
        self._pull()
        self._capacity = max(rows, self._capacity, 1)
        dtypes = {"F": np.float32, "I": np.int64, "D": np.float64}
        self._arenas = {
            arena: self.cuda.device_array(max(self.train_layout.size(arena, self._capacity),
                                              self.predict_layout.size(arena, self._capacity)),
                                          dtype)
            for arena, dtype in dtypes.items()}
        self._push()

    def _push(self) -> None:
        """The host mirror's state into the arenas (one copy per arena)."""
        if not self._arenas:
            return
        for arena, (lo, hi) in self._state_spans().items():
            head = np.zeros(hi - lo, {"F": np.float32, "I": np.int64}[arena])
            for name, (where, offset, shape) in self.train_layout.state.items():
                if where == arena:
                    size = max(1, int(np.prod(shape)))
                    head[offset - lo:offset - lo + size] = self._arrays[name].reshape(-1)
            self.copies["to_device"] += 1
            self._arenas[arena][lo:hi].copy_to_device(head)
        self._host_newer = False
        self._device_newer = False

    def _pull(self) -> None:
        """The arenas' state into the host mirror, if the device has newer."""
        if not (self._device_newer and self._arenas):
            return
        for arena, (lo, hi) in self._state_spans().items():
            head = self._to_host(self._arenas[arena][lo:hi])
            for name, (where, offset, shape) in self.train_layout.state.items():
                if where == arena:
                    size = max(1, int(np.prod(shape)))
                    self._arrays[name][...] = head[offset - lo:offset - lo + size].reshape(
                        self._arrays[name].shape)
        self._device_newer = False

    def _hypers(self):
        if self._hypers_sent is None or not np.array_equal(self._hypers_sent, self.hypers):
            self._hypers_sent = self.hypers.copy()
            self._hypers_device = self._to_device(self.hypers if self.hypers.size
                                                  else np.zeros(1, np.float64))
        return self._hypers_device

    # -- state ----------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """As Executable.state, but the arrays are the host mirror, brought up to date: a
        change to them reaches the device only through load_state."""
        self._pull()
        return super().state()

    def load_state(self, state: dict) -> None:
        self._pull()
        super().load_state(state)
        self._host_newer = True

    def arrays(self, role: str) -> list[np.ndarray]:
        self._pull()
        return super().arrays(role)

    # -- running --------------------------------------------------------------------------
    def _launch(self, kernel: str, named: dict) -> None:
        args = self.positional(kernel, named, [])
        args += [self._arenas["F"], self._arenas["I"], self._arenas["D"], self._capacity]
        getattr(self.module, kernel)[self.blocks, self.threads](*args)

    def train_chunk(self, x, y, order, first, nsteps, batch, lrs):
        self._ensure(batch)
        losses = self.cuda.device_array(max(nsteps, 1), np.float32)
        corrects = self.cuda.device_array(max(nsteps, 1), np.int64)
        self._launch("train_chunk", {
            "X": self._on_device(x), "Y": self._on_device(y), "order": self._on_device(order),
            "first": int(first), "nsteps": int(nsteps), "batch": int(batch),
            "lrs": self._to_device(np.asarray(lrs, np.float32) if len(lrs)
                                   else np.zeros(1, np.float32)),
            "hypers": self._hypers(), "step0": self.counters["step"],
            "seed": self.counters["seed"], "losses": losses, "corrects": corrects,
            "nthreads": self.blocks * self.threads})
        self.counters["step"] += nsteps
        self._device_newer = True
        return self._to_host(losses)[:nsteps], self._to_host(corrects)[:nsteps]

    def predict_chunk(self, x, order, first, nsteps, batch, out):
        self._ensure(batch)
        flat = out.reshape(len(out), -1)
        device_out = self.cuda.device_array(flat.shape, np.float32)
        self._launch("predict_chunk", {
            "X": self._on_device(x), "order": self._on_device(order), "first": int(first),
            "nsteps": int(nsteps), "batch": int(batch), "hypers": self._hypers(),
            "out": device_out, "nthreads": self.blocks * self.threads})
        result = self._to_host(device_out)
        done = min(len(flat), int(first) + int(nsteps) * int(batch))
        rows = slice(int(first), done)
        flat[rows] = result[rows]

    def warm_up(self) -> None:
        """Compile (or load from Numba's cache) both kernels now, by launching each for zero
        steps on a one-row stand-in: the first chunk would otherwise pay for it (5-30 s for
        one large kernel) and the chunk sizer would take that for a step time."""
        import math

        train = self.graphs.train
        feature = math.prod(int(d) for d in train.input_named("x").shape[1:])
        x = np.zeros((1, feature), np.float32)
        label = train.input_named("y").type
        y = np.zeros((1,) + tuple(int(d) for d in label.shape[1:]), label.dtype)
        order = np.zeros(1, np.int64)
        shape = self.graphs.predict.outputs["output"].shape[1:]
        out = np.zeros((1,) + tuple(int(d) for d in shape), np.float32)
        step, batch = self.counters["step"], self._batch
        self.train_chunk(x, y, order, 0, 0, batch, np.zeros(0, np.float32))
        self.predict_chunk(x, order, 0, 0, batch, out)
        self.counters["step"] = step
        self._device_newer = False        # zero steps changed nothing

    def listing(self) -> str:
        return "# ---- this recipe's CUDA kernels ----\n" + self.kernels.source

    @property
    def device_name(self) -> str:
        return device.describe(self.cuda)
