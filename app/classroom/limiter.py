"""Join attempts per client address: enough for a class, too few to guess codes.

Every request that reads a code (the join page ``/j/CODE``, ``GET /api/classes/CODE/public``,
``POST /api/classes/CODE/join``) counts as an attempt of its address:

- at most ``ATTEMPTS`` (30) attempts a minute; more answer ``429``;
- a code that admits no one (unknown, malformed or ended) is a miss; after ``MISSES`` (8)
  misses within ``MISS_WINDOW`` (10 minutes) the address is blocked for ``BLOCK_SECONDS``
  (10 minutes): every attempt answers ``429``, even with a right code ("and then nothing").

Guessing one code of 64 million at 8 tries per 10 minutes takes about 76 years on average
from one address. At most ``MAX_ADDRESSES`` addresses are remembered (the oldest go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

ATTEMPTS = 30
ATTEMPT_WINDOW = 60.0
MISSES = 8
MISS_WINDOW = 600.0
BLOCK_SECONDS = 600.0
MAX_ADDRESSES = 10_000


@dataclass
class _Address:
    attempts: deque[float] = field(default_factory=deque)
    misses: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


class JoinLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, _Address] = OrderedDict()

    def _entry(self, address: str) -> _Address:
        entry = self._seen.pop(address, None) or _Address()
        self._seen[address] = entry  # most recent last
        while len(self._seen) > MAX_ADDRESSES:
            self._seen.popitem(last=False)
        return entry

    def attempt(self, address: str) -> float | None:
        """Count one attempt; None when it may go ahead, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            a = self._entry(address)
            if a.blocked_until > now:
                return a.blocked_until - now
            while a.attempts and a.attempts[0] <= now - ATTEMPT_WINDOW:
                a.attempts.popleft()
            if len(a.attempts) >= ATTEMPTS:
                return a.attempts[0] + ATTEMPT_WINDOW - now
            a.attempts.append(now)
            return None

    def miss(self, address: str) -> None:
        """The attempt named a code that admits no one; enough of them block the address."""
        now = self.clock()
        with self._lock:
            a = self._entry(address)
            while a.misses and a.misses[0] <= now - MISS_WINDOW:
                a.misses.popleft()
            a.misses.append(now)
            if len(a.misses) >= MISSES:
                a.blocked_until = now + BLOCK_SECONDS
                a.misses.clear()
