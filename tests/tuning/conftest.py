"""A TestClient over an app with the real templates, recording runs in a temporary folder,
(helpers in tuning_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def fail_on_500(response: Any) -> None:
    """Any 500 fails the test: every input must get a clear 4xx or an answer."""
    if response.status_code == 500:
        response.read()
        pytest.fail(f"{response.request.method} {response.request.url.path} answered 500: "
                    f"{response.text[:300]}")


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(allow_testserver=True, data_dir=tmp_path / "data", **overrides)
        c = TestClient(create_app(settings))
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
