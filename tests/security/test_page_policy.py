"""The page works under its own Content-Security-Policy: a real server, Chromium with the policy
enforced, every panel opened, and the API page (/docs) drawn; not one violation is
reported."""

from __future__ import annotations

import time
from typing import Any

import pytest

REPORT_VIOLATIONS = ("document.addEventListener('securitypolicyviolation', e => "
                     "(window.__violations = window.__violations || []).push("
                     "e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')))")
PANELS = ("#btn-walk", "#btn-lessons", "#btn-race", "#btn-finetune", "#btn-share",
          "#btn-presenter", "#btn-help")

pytestmark = pytest.mark.browser


def _wait(page: Any, expression: str, seconds: float = 20) -> None:
    """Poll ``expression`` (page.wait_for_function evaluates strings, which the policy
    forbids)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)


def test_the_page_runs_under_its_policy_without_a_violation(serve, chromium):
    server = serve()
    # the policy enforced (no bypass_csp)
    browser = chromium.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.add_init_script(REPORT_VIOLATIONS)
        response = page.goto(server.base + "/")
        assert response is not None
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        _wait(page, "!!(window.__lab && window.__lab.state.frame !== null)")
        page.click("#btn-play")
        step = page.evaluate("window.__lab.state.step")
        _wait(page, f"window.__lab.state.step > {step}")  # frames over the websocket
        page.click("#btn-play")
        for button in PANELS:
            page.click(button)
            time.sleep(0.3)
            page.keyboard.press("Escape")
        time.sleep(0.5)
        assert page.evaluate("window.__violations || []") == []
        assert errors == []
        docs = browser.new_page()  # the API page, under the policy made from it
        docs.add_init_script(REPORT_VIOLATIONS)
        docs.goto(server.base + "/docs")
        _wait(docs, "document.querySelectorAll('.opblock').length > 0")
        assert docs.evaluate("window.__violations || []") == []
    finally:
        browser.close()
