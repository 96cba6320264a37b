"""Browser tests: a real server (``python -m app`` on a free port) and Debian's Chromium driven
by Playwright. Without Chromium the tests are skipped locally, but fail when CI=true."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"{CHROMIUM} is missing; the browser tests need Debian's chromium package"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a server started for this test session (its runs kept in a temporary
    folder)."""
    _need_chromium()
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    data = str(tmp_path_factory.mktemp("data"))
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), "--data-dir", data],
                            cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=1) as r:
                if json.load(r)["status"] == "ok":
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"the server did not start on port {port}:\n{out}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser(server: str, chromium: Any) -> Iterator[Any]:
    """The session's Chromium (tests/conftest.py), once the server is up."""
    yield chromium


class PageWatch:
    """A page with its console errors collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def open_page(browser: Any, server: str) -> Iterator[Any]:
    """open_page(path="/", lang="en") → PageWatch; pages close after the test."""
    contexts: list[Any] = []

    def _open(path: str = "/", lang: str = "en-US", width: int = 1500,
              height: int = 1000) -> PageWatch:
        # bypass_csp: wait_for_function evaluates strings, which the page's policy forbids;
        # the policy itself is checked in tests/security/test_page_policy.py
        ctx = browser.new_context(locale=lang, viewport={"width": width, "height": height},
                                  bypass_csp=True)
        contexts.append(ctx)
        page = ctx.new_page()
        watch = PageWatch(page)
        page.goto(server + path)
        page.wait_for_function("window.__lab && window.__lab.state.frame !== null", timeout=20000)
        return watch

    yield _open
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def shot() -> Any:
    """shot(page, name): save a screenshot to test-artifacts/ (kept by CI, ignored by git)."""

    def _shot(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def api(server: str) -> Any:
    """api(session_id) → GET /api/sessions/{id} as a dict: the server's own view of the run."""

    def _get(session_id: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{server}/api/sessions/{session_id}", timeout=5) as r:
            return json.load(r)

    return _get
