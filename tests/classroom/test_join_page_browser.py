"""The join page in Chromium, with the server's Content-Security-Policy enforced: a student
types a name, joins and lands on the teacher's run as a follower; a wrong code is said in
the page's words; the page speaks Japanese to a Japanese browser."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None
          ) -> dict[str, Any]:
    req = urllib.request.Request(url, json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), "--data-dir",
                             tempfile.mkdtemp(prefix="backprop-test-")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the server did not start")
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(server: str, chromium: Any) -> Iterator[Any]:
    """The session's Chromium (tests/conftest.py), once this module's server is up."""
    yield chromium


def _page(browser: Any, locale: str = "en-US") -> tuple[Any, list[str]]:
    ctx = browser.new_context(locale=locale, viewport={"width": 390, "height": 800})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _class(server: str) -> dict[str, Any]:
    s = _post(f"{server}/api/sessions", {"preset": "spiral"})
    cls = _post(f"{server}/api/classes", {"session": s["id"], "name": "Period <3>"},
                {"X-Control-Token": s["token"]})
    return {**cls, "teacher": s}


def test_a_student_joins_from_the_link_and_follows_the_teachers_run(browser, server):
    cls = _class(server)
    page, errors = _page(browser)
    page.goto(f"{server}/j/{cls['code']}")
    assert page.locator("#class-name").inner_text() == "Period <3>"
    assert page.locator("#code").input_value() == cls["code"]
    page.fill("#name", "<b>Aiko</b>")
    page.click("#join")
    page.wait_for_url(f"**/view/{cls['teacher']['id']}?class={cls['code']}&student=*",
                      timeout=10000)
    stored = page.evaluate(f"sessionStorage.getItem('backprop-class-{cls['code']}')")
    kept = json.loads(stored)
    assert kept["name"] == "<b>Aiko</b>" and kept["student_token"]
    assert page.evaluate("location.hash").startswith("#student_token=")
    assert not [e for e in errors if "Content Security Policy" in e or "join" in e], errors
    page.context.close()


def test_a_wrong_code_is_said_in_the_pages_words(browser, server):
    page, errors = _page(browser)
    page.goto(f"{server}/join")
    page.fill("#code", "ach 34k")
    page.fill("#name", "Ken")
    page.click("#join")
    page.wait_for_selector("#join-error:not([hidden])")
    assert "There is no class with the code" in page.locator("#join-error").inner_text()
    page.fill("#code", "abc")
    page.click("#join")
    assert "6-character code" in page.locator("#join-error").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.context.close()


def test_the_join_page_speaks_japanese_to_a_japanese_browser(browser, server):
    cls = _class(server)
    page, _ = _page(browser, "ja-JP")
    page.goto(f"{server}/j/{cls['code']}")
    page.wait_for_function("document.documentElement.lang === 'ja'")
    assert page.locator("#join").inner_text() == "参加する"
    page.context.close()
