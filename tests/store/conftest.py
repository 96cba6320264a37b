"""Every store test runs on SQLite and on PostgreSQL (tests/conftest.py starts the server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.store import Quotas, RunStore, sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty store's URL on each database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    server = request.getfixturevalue("postgres")
    return str(server.new_database())


@pytest.fixture
def make_store(store_url: str) -> Iterator[Callable[..., RunStore]]:
    made: list[RunStore] = []

    def make(**quotas: Any) -> RunStore:
        s = RunStore(store_url, quotas=Quotas(**quotas))
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture
def store(make_store: Callable[..., RunStore]) -> RunStore:
    return make_store()
