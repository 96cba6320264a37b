"""The runs page (/runs): this browser's runs listed, its names, tags and notes shown as text
(never run as HTML), sorting and filtering."""

from __future__ import annotations

import json
import time
from typing import Any

XSS = "<img src=x onerror=alert(1)>"


def _rows(page: Any, server: str, at_least: int = 1) -> Any:
    deadline = time.monotonic() + 15
    while True:
        page.goto(server + "/runs")
        page.wait_for_selector("#runs-table")
        page.wait_for_function("document.querySelector('#runs-status').hidden || "
                               "document.querySelector('#runs-body').children.length >= 0")
        rows = page.locator("#runs-body tr")
        if rows.count() >= at_least or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


def test_runs_page_lists_this_browsers_runs_and_shows_names_as_text(
        open_page: Any, server: str) -> None:
    w = open_page("/")
    page = w.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    rows = _rows(page, server)
    assert rows.count() >= 1, page.locator("#runs-status").text_content()
    run_id = rows.first.get_attribute("data-run")
    got = page.evaluate("""async ([id, text]) => {
        const r = await fetch(`/api/runs/${id}`, {method: "PATCH",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({name: text, note: text, tags: ["<b>x</b>"]})});
        return [r.status, await r.text()];
    }""", [run_id, XSS])
    assert got[0] == 200, got
    page.reload()
    row = page.locator(f'#runs-body tr[data-run="{run_id}"]')
    row.wait_for()
    assert row.locator(".run-name").text_content() == XSS
    assert row.locator(".run-note").text_content() == XSS
    assert "<b>x</b>" in (row.locator(".run-tags").text_content() or "")
    assert page.locator("#runs-body img").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == [], f"a name ran as HTML: {dialogs}"
    assert not w.errors, w.errors


def test_another_browser_does_not_see_the_runs_and_the_filter_narrows_the_table(
        open_page: Any, browser: Any, server: str) -> None:
    w = open_page("/")
    page = w.page
    rows = _rows(page, server)
    assert rows.count() >= 1
    page.fill("#runs-filter", "no-run-is-called-this")
    assert page.locator("#runs-body tr").count() == 0
    page.fill("#runs-filter", "")
    assert page.locator("#runs-body tr").count() == rows.count()
    page.click('th[data-sort="steps"]')
    assert page.locator('th[data-sort="steps"]').get_attribute("aria-sort") == "descending"
    other = browser.new_context()
    try:
        p2 = other.new_page()
        p2.goto(server + "/runs")
        p2.wait_for_function("document.querySelector('#runs-status').textContent.length > 0")
        assert p2.locator("#runs-body tr").count() == 0
        cookie = json.dumps([c["name"] for c in other.cookies()])
        assert "owner" in cookie, "the runs page makes its own owner key"
    finally:
        other.close()
