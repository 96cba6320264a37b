"""A fair turnstile for training threads.

Small networks keep the interpreter busy for the whole of a step, so training threads
contend for it. Rather than let 30 of them fight (each would get a turn every 30 switch
intervals), a worker takes one of a few slots, trains for a short chunk, publishes its frame
and gives the slot to the next worker in line (first come, first served). The chunk shrinks
as more sessions wait, so every session gets a turn several times per frame interval.

A prioritized thread (a class teacher's worker: ``prioritize(ident)``) that has to wait goes
first in line: every other turn however many wait, never two in a row while another waits (a
released slot goes to the first waiter before its holder can queue again), as long as it has
held the slot for at most ``priority_share`` (half) of the time in the current
``priority_window`` (0.5 s); past that it queues like the others until the window ends, so
the other workers keep at least the rest of the time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class Gate:
    def __init__(self, slots: int = 1, round_seconds: float = 0.04,
                 min_chunk: float = 0.0005, max_chunk: float = 0.008,
                 priority_share: float = 0.5, priority_window: float = 0.5) -> None:
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
        self.priority_share, self.priority_window = priority_share, priority_window
        self._window_start = time.monotonic()
        self._priority_held = 0.0  # seconds prioritized threads held a slot in the window
        self._held_since: dict[int, float] = {}  # prioritized holder → when it got the slot

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

    def _first_in_line(self, now: float) -> bool:
        """(holding _lock) May a prioritized waiter go first: under its share of the window?"""
        if now - self._window_start >= self.priority_window:
            self._window_start, self._priority_held = now, 0.0
        return self._priority_held <= self.priority_share * (now - self._window_start)

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._lock:
            self._users += 1
            if self._free > 0 and not self._waiting:
                self._free -= 1
                if me in self._priority:
                    self._held_since[me] = time.monotonic()
                return
            ready = threading.Event()
            if me in self._priority and self._first_in_line(time.monotonic()):
                self._waiting.appendleft(ready)
            else:
                self._waiting.append(ready)
        ready.wait()  # the releasing worker hands its slot over
        if me in self._priority:
            with self._lock:
                self._held_since[me] = time.monotonic()

    def release(self) -> None:
        with self._lock:
            since = self._held_since.pop(threading.get_ident(), None)
            if since is not None:
                self._priority_held += time.monotonic() - since
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
