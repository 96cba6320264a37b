"""The one error type of the app, and the one helper that shortens values echoed in errors.

``AppError`` is what every refusal becomes: a command the websocket cannot take, a limit of
the server, a configuration or data error from the engine. It carries a ``code`` from
app/codes.py, the ``field`` and ``value`` at fault (where one is), the English ``message`` and
the numbers the page needs (``extra``); ``event()`` makes the websocket ``error`` event of it,
``detail()`` the entry of an HTTP 4xx answer.
"""

from __future__ import annotations

import json
from typing import Any

from engine.config import ConfigError
from engine.data import DataError

from .codes import CODES

ECHO_CHARS = 100
MESSAGE_CHARS = 400


def short(value: Any, limit: int = ECHO_CHARS) -> Any:
    """``value`` as it may be echoed in an error: a string over ``limit`` characters cut to
    ``limit`` and "…"; a list or object whose JSON is over ``limit`` characters becomes the
    start of that JSON and "…"; a whole number of more than ``limit`` digits, the start of
    its digits and "…" (a string); anything else as it is."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        return str(value)[:limit] + "…"
    if isinstance(value, list | tuple | dict):
        try:
            text = json.dumps(value, separators=(",", ":"), default=str)
        except (TypeError, ValueError, RecursionError):
            return "…"
        return value if len(text) <= limit else text[:limit] + "…"
    return value


def short_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Field errors ({"field", "value", "message", ...}) with their values and messages cut
    to a readable length (a message quotes the value it refuses)."""
    out = []
    for e in errors:
        e = dict(e)
        if "value" in e:
            e["value"] = short(e["value"])
        if isinstance(e.get("message"), str):
            e["message"] = short(e["message"], MESSAGE_CHARS)
        out.append(e)
    return out


class AppError(Exception):
    """A refusal: ``code`` (app/codes.py), English ``message``, the ``field`` and ``value`` at
    fault, an HTTP ``status`` where it answers a request, and ``extra`` event fields."""

    def __init__(self, code: str, message: str, field: str | None = None, value: Any = None,
                 status: int = 422, **extra: Any) -> None:
        if code not in CODES:
            raise ValueError(f"{code!r} is not in app/codes.py")
        super().__init__(message)
        self.code, self.message, self.field, self.value = code, message, field, value
        self.status, self.extra = status, extra

    def event(self) -> dict[str, Any]:
        """The websocket ``error`` event (without ``command`` and ``id``)."""
        event: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.field is not None:
            event.update(field=self.field, value=short(self.value))
        event.update(self.extra)
        return event

    def detail(self) -> list[dict[str, Any]]:
        """The ``detail`` list of an HTTP error answer."""
        if "errors" in self.extra:
            return short_errors([{**e, "code": self.code} for e in self.extra["errors"]])
        return short_errors([{"field": self.field, "value": self.value,
                              "message": self.message, "code": self.code, **self.extra}])


def config_error(exc: ConfigError) -> AppError:
    """The engine's ConfigError as an AppError naming its first field (``errors``: every
    field)."""
    errors = short_errors([e.to_dict() for e in exc.errors])
    return AppError("invalid_config", short(str(exc), MESSAGE_CHARS), errors[0]["field"],
                    errors[0]["value"], errors=errors)


def data_error(exc: DataError) -> AppError:
    """The engine's DataError (a bad data argument or file) as an AppError."""
    return AppError("invalid_data", exc.message, exc.field)


def as_app_error(exc: Exception) -> AppError | None:
    """``exc`` as an AppError if it is one of the refusals the app knows, else None."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, ConfigError):
        return config_error(exc)
    if isinstance(exc, DataError):
        return data_error(exc)
    return None
