"""Join codes: six characters a student can read off a projector and type on a phone.

The alphabet leaves out the characters that look alike on a screen or in handwriting
(0/O/D/Q, 1/I/L/J, 2/Z, 5/S, 8/B, U/V), so 20 remain: 20⁶ = 64 million codes, drawn with
``secrets``. A code is read back forgivingly: case, spaces and dashes are ignored.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Container

ALPHABET = "34679ACEFGHKMNPRTWXY"  # no 0 O D Q 1 I L J 2 Z 5 S 8 B U V
LENGTH = 6
_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_code(taken: Container[str] = ()) -> str:
    """A fresh random code not in ``taken``."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if code not in taken:
            return code


def normalize(text: str) -> str | None:
    """``text`` as a code (upper case, separators dropped), or None when it cannot be one."""
    if not isinstance(text, str) or len(text) > 4 * LENGTH:
        return None
    code = _SEPARATORS.sub("", text).upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code
