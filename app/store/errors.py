"""What the run store answers when it cannot do what was asked; each message names the
field or limit, the value, and what is allowed."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Base of the store's refusals. ``status`` is the HTTP status a route answers with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunNotFound(StoreError):
    status = 404

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id[:40]!r} does not exist (it may have been deleted)")


class NotOwner(StoreError):
    status = 403

    def __init__(self) -> None:
        super().__init__("only the run's owner may change it; this owner key is not the "
                         "owner's")


class QuotaError(StoreError):
    """A limit would be passed: ``limit`` names it, ``value`` is its setting."""

    status = 409

    def __init__(self, limit: str, value: Any, message: str) -> None:
        super().__init__(f"{limit} ({value}) reached: {message}")
        self.limit, self.value = limit, value


class InvalidValue(StoreError):
    status = 422

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        super().__init__(f"{field}: {shown} is not allowed; {allowed}")
        self.field = field
