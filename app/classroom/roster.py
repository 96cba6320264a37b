"""The students of a class: display names, tokens, and what each is doing.

A student's state, as the teacher's class view shows it:

- ``connected``: joined, the follow page has not reported yet;
- ``following``: watching the teacher's run (the follow page reports every ``PRESENCE_SECONDS``
  ÷ 3 with ``POST .../presence``);
- ``trying``: steering their own fork (its session has a page connected, or the page reports
  ``trying``);
- ``away``: nothing heard for ``PRESENCE_SECONDS`` and no page on their fork.
"""

from __future__ import annotations

import math
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..errors import AppError

NAME_CHARS = 40
PRESENCE_SECONDS = 60.0
MODES = ("following", "trying")
_SPACES = re.compile(r"\s+")


def clean_name(raw: Any, limit: int = NAME_CHARS, field_name: str = "name") -> str:
    """A display name as it is kept: NFC, control and format characters dropped, runs of
    white space made one space, trimmed; 1 to ``limit`` characters, else AppError (422)."""
    if not isinstance(raw, str):
        raise AppError("bad_display_name", f"{field_name}: a text of 1 to {limit} characters",
                       field_name, raw, limit=limit)
    text = "".join(c for c in unicodedata.normalize("NFC", raw)
                   if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn")
                   or c in " \t\n")
    text = _SPACES.sub(" ", text).strip()
    if not text or len(text) > limit:
        raise AppError("bad_display_name", f"{field_name}: {len(text)} characters after "
                       f"trimming; a name has 1 to {limit}", field_name, raw, limit=limit)
    return text


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``, ... : the first not in ``taken`` (compared
    without case)."""
    lowered = {t.casefold() for t in taken}
    if name.casefold() not in lowered:
        return name
    n = 2
    while f"{name} ({n})".casefold() in lowered:
        n += 1
    return f"{name} ({n})"


@dataclass
class Student:
    name: str
    id: str = field(default_factory=lambda: secrets.token_urlsafe(8))
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    joined: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    mode: str | None = None  # what the page last reported: following or trying
    fork_id: str | None = None  # the session of their own run
    fork_gen: int = 0  # the fork's history generation right after the fork
    fork_step: int = 0  # the teacher's step the fork started from
    fork_config: dict[str, Any] = field(default_factory=dict)  # the configuration it started
    forked_at: float = -math.inf  # when the last fork was asked for
    measured: dict[str, Any] | None = None  # the server's last measurement of the fork
    reached: dict[str, Any] | None = None  # when the fork first met the challenge
    broke: tuple[int, int] = (-1, -1)  # (history generation, step) a constraint was last broken
    scanned: tuple[int, int] = (-1, -1)  # (generation, step) up to which no point met the goal

    def check_token(self, token: str | None) -> bool:
        return token is not None and secrets.compare_digest(token, self.token)

    def restart_count(self) -> None:
        """A new run or a new challenge: nothing reached, nothing scanned, nothing broken."""
        self.reached, self.broke, self.scanned = None, (-1, -1), (-1, -1)

    def state(self, fork_clients: int, has_fork: bool, now: float | None = None) -> str:
        """connected, following, trying or away (see the module); ``has_fork``: their fork's
        session is still open, with ``fork_clients`` pages on it."""
        now = time.monotonic() if now is None else now
        if has_fork and (fork_clients > 0 or (
                self.mode == "trying" and now - self.last_seen < PRESENCE_SECONDS)):
            return "trying"
        if now - self.last_seen >= PRESENCE_SECONDS:
            return "away"
        return "following" if self.mode is not None else "connected"
