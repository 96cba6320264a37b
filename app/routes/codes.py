"""The table of event codes (app/codes.py): what a client translates each code into."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import codes

router = APIRouter(prefix="/api", tags=["protocol"])


@router.get("/codes")
def list_codes() -> dict[str, Any]:
    """Every ``code`` an error, notice or diverged event can carry: {code: {"description",
    "fields"}} (the fields that event carries beyond type, code and message)."""
    return codes.table()
