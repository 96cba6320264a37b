"""Values repeated back in error messages, always short and always safe to print or send.

A hostile value can make ``repr`` itself fail (an integer of more than 4,300 digits raises
ValueError, a list nested 10,000 deep raises RecursionError) or make a message huge (a string
of a megabyte). ``short(v)`` never fails and never exceeds MAX_ECHO characters; ``echo(v)``
gives the value itself when it is small, strict JSON and UTF-8 safe, else ``short(v)``.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_ECHO = 200  # characters of a bad value repeated back in a message
MAX_DEPTH = 20  # nesting levels looked into before a value is called "nested too deeply"
_BIG_INT_BITS = 600  # about 180 digits: beyond this an integer is described, not written


def _depth_ok(v: Any, depth: int = 0) -> bool:
    """Whether v nests no deeper than MAX_DEPTH (checked without recursion blowing up: the
    walk stops at the limit)."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(v, dict):
        return all(_depth_ok(x, depth + 1) for x in list(v.values())[:MAX_ECHO])
    if isinstance(v, list | tuple):
        return all(_depth_ok(x, depth + 1) for x in v[:MAX_ECHO])
    return True


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"


def short(v: Any) -> str:
    """repr(v), cut to MAX_ECHO characters; a huge integer or a deeply nested value is
    described instead."""
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > _BIG_INT_BITS:
        digits = int(v.bit_length() * math.log10(2)) + 1
        return f"<{'-' if v < 0 else ''}a whole number of about {digits:,} digits>"
    if isinstance(v, str):
        return _cut(repr(v[: MAX_ECHO + 2]))  # repr escapes lone surrogates
    if not _depth_ok(v):
        return f"<a {type(v).__name__} nested more than {MAX_DEPTH} levels deep>"
    try:
        return _cut(repr(v))
    except (ValueError, RecursionError, TypeError):  # a huge integer inside a list, ...
        return f"<a {type(v).__name__} that cannot be shown>"


def text(s: str) -> str:
    """A name from outside (a field name, a column name) made safe to print: cut to MAX_ECHO
    characters, with lone surrogates and other unencodable characters escaped."""
    s = s[: MAX_ECHO + 1]
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = s.encode("utf-8", "backslashreplace").decode("utf-8")
    return _cut(s)


def echo(v: Any) -> Any:
    """v itself when it is small, strict JSON and encodes to UTF-8 (so any JSON writer sends
    it); otherwise ``short(v)``."""
    if not _depth_ok(v):
        return short(v)
    try:
        dumped = json.dumps(v, allow_nan=False, ensure_ascii=False)
        dumped.encode("utf-8")
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError):
        return short(v)
    return v if len(dumped) <= MAX_ECHO else short(v)
