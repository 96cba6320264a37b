"""The table of event codes: well formed, and served at GET /api/codes."""

import re

from app.codes import CODES, FIELDS


def test_every_code_is_lower_snake_case_with_a_description():
    for code, text in CODES.items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", code), code
        assert text.strip() and "\n" not in text, code
    assert set(FIELDS) <= set(CODES)


def test_codes_are_served(client):
    r = client.get("/api/codes")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == set(CODES)
    assert body["until_reached"] == {"description": CODES["until_reached"], "fields": ["step"]}
