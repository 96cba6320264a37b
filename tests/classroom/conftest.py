"""A TestClient over an app with the real templates (the join page), helpers to start a class
and join it; every event sent during a test must carry a code from app/codes.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def fail_on_500(response: Any) -> None:
    """Any 500 fails the test: every input must get a clear 4xx or an answer."""
    if response.status_code >= 500 and response.status_code != 503:
        response.read()
        pytest.fail(f"{response.request.method} {response.request.url.path} answered "
                    f"{response.status_code}: {response.text[:300]}")


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(templates_dir=ROOT / "templates", static_dir=ROOT / "static",
                            allow_testserver=True)
        app = create_app(dataclasses.replace(settings, **overrides))
        c = TestClient(app)
        c.event_hooks["response"].append(fail_on_500)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture(autouse=True)
def every_event_has_a_code(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every error, notice and diverged event the server sends carries a code of app/codes.py
    and the fields listed for it."""
    from app import frames
    from app.codes import CODES, FIELDS

    seen: list[dict[str, Any]] = []
    real = frames.dumps

    def dumps(obj: Any) -> str:
        if isinstance(obj, dict) and obj.get("type") in ("error", "notice", "diverged"):
            seen.append(dict(obj))
        return real(obj)

    monkeypatch.setattr(frames, "dumps", dumps)
    yield seen
    bad = [e for e in seen if e.get("code") not in CODES]
    assert not bad, f"events without a code from app/codes.py: {bad[:3]}"
    lacking = [e for e in seen if not set(FIELDS.get(e["code"], ())) <= set(e)]
    assert not lacking, f"events without the fields app/codes.py lists: {lacking[:3]}"
