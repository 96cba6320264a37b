"""One TestClient fixture over an app with test settings; helpers to read the websocket."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

INDEX = "<html>{{ role }}|{{ session_id }}</html>"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text(INDEX)
    static = tmp_path / "static"
    static.mkdir()
    (static / "hello.js").write_text("export const hello = 1;\n")
    return Settings(templates_dir=templates, static_dir=static)


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        app = create_app(dataclasses.replace(settings, **overrides))
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
