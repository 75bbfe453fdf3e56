"""Several listeners of fit as one: the progress line, the MLflow logger... Each gets every
call fit makes (start, chunk, epoch_end, stopped, finish), at chunk and epoch boundaries only."""
from __future__ import annotations


class Fanout:
    def __init__(self, *listeners):
        self.listeners = [x for x in listeners if x is not None]

    def _each(self, name: str, *args) -> None:
        for listener in self.listeners:
            method = getattr(listener, name, None)
            if method is not None:
                method(*args)

    def start(self, *args):
        self._each("start", *args)

    def chunk(self, *args):
        self._each("chunk", *args)

    def epoch_end(self, record):
        self._each("epoch_end", record)

    def stopped(self):
        self._each("stopped")

    def finish(self, history):
        self._each("finish", history)


def one_or_fanout(*listeners):
    """None, the one listener given, or a Fanout of several."""
    present = [x for x in listeners if x is not None]
    return None if not present else present[0] if len(present) == 1 else Fanout(*present)
