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


def _train(server: str, owner: str, lr: float, change: float | None) -> str:
    """A recorded run of `owner`: 40 steps at `lr`, then (if `change`) lr set to it, 40 more."""
    import httpx
    from websockets.sync.client import connect

    headers = {"Origin": server, "X-Owner-Key": owner}
    s = httpx.post(f"{server}/api/sessions", json={"config": {"lr": lr}}, headers=headers).json()
    ws_url = "ws" + server[4:] + f"/ws/{s['id']}?token={s['token']}"
    with connect(ws_url, additional_headers={"Origin": server}) as ws:
        def ack(cmd: dict[str, Any]) -> None:
            ws.send(json.dumps(cmd))
            while True:
                m = ws.recv(timeout=10)
                if isinstance(m, str) and json.loads(m)["type"] == "ack":
                    return
        ack({"type": "step", "n": 40, "id": 1})
        if change is not None:
            ack({"type": "set", "config": {"lr": change}, "id": 2})
        ack({"type": "step", "n": 40, "id": 3})
        ack({"type": "save", "id": 4})
    return s["id"]


def test_two_runs_overlay_with_their_change_markers_and_the_settings_that_differ(
        open_page: Any, server: str, shot: Any) -> None:
    w = open_page("/")
    page = w.page
    page.goto(server + "/runs")
    owner = page.evaluate("localStorage.getItem('backprop-lab-owner')")
    _train(server, owner, 0.03, 0.3)
    _train(server, owner, 0.1, None)
    rows = _rows(page, server, at_least=3)
    names = page.locator("#runs-body tr")
    assert rows.count() >= 3
    # the two newest runs (sorted by time, newest first)
    names.nth(0).locator(".run-pick").check()
    names.nth(1).locator(".run-pick").check()
    page.wait_for_selector("#compare:not([hidden])")
    page.wait_for_function("document.querySelectorAll('#compare-markers li').length >= 1")
    markers = page.locator("#compare-markers li").all_text_contents()
    assert any("lr 0.03 → 0.3 at step 40" in m for m in markers), markers
    diff = page.locator("#compare-diff tr").all_text_contents()
    assert any(r.startswith("lr") for r in diff[1:]), diff
    assert all(not r.startswith("layers") for r in diff[1:]), "only the fields that differ"
    drawn = page.evaluate("""() => {
        const c = document.querySelector('#compare-loss');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) ink++;
        return ink;
    }""")
    assert drawn > 1000, "the loss chart drew the runs"
    shot(page, "runs-compare")
    assert not w.errors, w.errors


def test_fork_here_makes_a_new_session_from_a_checkpoint_with_a_changed_setting(
        open_page: Any, server: str, api: Any) -> None:
    w = open_page("/")
    page = w.page
    page.goto(server + "/runs")
    owner = page.evaluate("localStorage.getItem('backprop-lab-owner')")
    _train(server, owner, 0.03, None)  # checkpoints at steps 0 (initial) and 80 (save)
    rows = _rows(page, server, at_least=2)
    answers = iter(["0", "lr=0.5"])
    page.on("dialog", lambda d: d.accept(next(answers)))
    with page.expect_navigation(url="**/s/**"):
        rows.nth(0).get_by_role("button", name="Fork…").click()
    session_id = page.url.split("/s/")[1].split("#")[0]
    got = api(session_id)
    assert got["step"] == 0 and got["config"]["lr"] == 0.5 and got["running"] is False
    assert not w.errors, w.errors


def test_a_runs_link_shows_the_run_read_only_to_another_browser(
        open_page: Any, browser: Any, server: str) -> None:
    w = open_page("/")
    page = w.page
    rows = _rows(page, server)
    run_id = rows.first.get_attribute("data-run")
    assert rows.first.get_by_role("button", name="Rename").count() == 1
    other = browser.new_context()
    try:
        p2 = other.new_page()
        p2.goto(f"{server}/runs#run={run_id}")
        row = p2.locator(f'#runs-body tr[data-run="{run_id}"]')
        row.wait_for()
        assert row.get_by_role("button", name="Rename").count() == 0
        assert row.get_by_role("button", name="Delete").count() == 0
        assert row.locator("td button").first.is_disabled()  # the star
        assert row.get_by_role("button", name="Fork…").count() == 1
    finally:
        other.close()
