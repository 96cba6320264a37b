"""A fair turnstile for training threads.

Small networks keep the interpreter busy for the whole of a step, so training threads
contend for it. Rather than let 30 of them fight (each would get a turn every 30 switch
intervals), a worker takes one of a few slots, trains for a short chunk, publishes its frame
and gives the slot to the next worker in line (first come, first served). The chunk shrinks
as more sessions wait, so every session gets a turn several times per frame interval.

A prioritized thread (a class teacher's worker: ``prioritize(ident)``) that has to wait goes
first in line: it gets every other turn however many wait, never two in a row while another
waits (a released slot goes to the first waiter before its holder can queue again).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class Gate:
    def __init__(self, slots: int = 1, round_seconds: float = 0.04,
                 min_chunk: float = 0.0005, max_chunk: float = 0.008) -> None:
        if slots < 1:
            raise ValueError(f"slots must be ≥ 1; got {slots}")
        self.slots = slots
        self.round_seconds = round_seconds
        self.min_chunk = min_chunk
        self.max_chunk = max_chunk
        self._lock = threading.Lock()
        self._free = slots
        self._waiting: deque[threading.Event] = deque()
        self._users = 0  # holding or waiting
        self._priority: set[int] = set()  # thread idents served out of turn

    @property
    def users(self) -> int:
        """Workers holding or waiting for a slot."""
        return self._users

    def chunk_seconds(self) -> float:
        """How long the holder may train before giving the slot back: a round of every
        waiting worker takes about ``round_seconds``."""
        per = self.round_seconds * self.slots / max(1, self._users)
        return min(self.max_chunk, max(self.min_chunk, per))

    def prioritize(self, ident: int, on: bool = True) -> None:
        """Serve thread ``ident`` first in line when it waits (or as usual: ``on=False``)."""
        with self._lock:
            (self._priority.add if on else self._priority.discard)(ident)

    def acquire(self) -> None:
        with self._lock:
            self._users += 1
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return
            ready = threading.Event()
            if threading.get_ident() in self._priority:
                self._waiting.appendleft(ready)
            else:
                self._waiting.append(ready)
        ready.wait()  # the releasing worker hands its slot over

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1

    @contextmanager
    def slot(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()
