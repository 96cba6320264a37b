"""The teacher's side of a class in the page: start a class, students join by code (the join
link and the join page), one forks and steers its copy, the teacher sees both in the roster,
projects one, asks everyone to try, sets a challenge and sees the run that met it ranked.
Names with markup are shown as text. Screenshots in test-artifacts/class-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

STATE = "window.__lab.state"
MARKUP_NAME = '<img src=x onerror="alert(1)">Aiko'
FRAME = "window.__lab && window.__lab.state.frame !== null"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _page(browser: Any, server: str, path: str, width: int, height: int,
          dialogs: list[str], contexts: list[Any]) -> Any:
    ctx = browser.new_context(locale="en-US", viewport={"width": width, "height": height},
                              bypass_csp=True)
    contexts.append(ctx)
    page = ctx.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + path)
    return page


def _join(page: Any, name: str, code: str | None = None) -> None:
    if code is not None:
        page.fill("#code", code)
    page.fill("#name", name)
    page.click("#join")
    page.wait_for_url(re.compile(r"/view/[^/?#]+\?class="), timeout=10000)
    page.wait_for_function(FRAME, timeout=20000)


def _delete(server: str, path: str, class_token: str) -> None:
    import urllib.request

    req = urllib.request.Request(server + path, method="DELETE",
                                 headers={"X-Class-Token": class_token})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 204


def _row(teacher: Any, student_id: str) -> Any:
    return teacher.locator(f'#class-roster tbody tr[data-student="{student_id}"]')


def test_a_teacher_runs_a_class_from_the_page(browser: Any, server: str, shot: Any) -> None:
    dialogs: list[str] = []
    contexts: list[Any] = []
    try:
        _run_class(browser, server, shot, dialogs, contexts)
    finally:
        for ctx in contexts:
            ctx.close()
    assert not dialogs, f"a name with markup ran as HTML: {dialogs}"


def _run_class(browser: Any, server: str, shot: Any, dialogs: list[str],
               contexts: list[Any]) -> None:
    teacher = _page(browser, server, "/", 1280, 720, dialogs, contexts)
    teacher.wait_for_function(FRAME, timeout=20000)
    sid = teacher.evaluate(f"{STATE}.sessionId")
    assert not teacher.is_visible("#class-panel"), "closed, the panel covers nothing"

    # start a class: the code, large, with its link and QR code
    teacher.click("#btn-class")
    teacher.fill("#class-name", "Period 3")
    teacher.click("#class-start button[type=submit]")
    teacher.wait_for_selector("#class-code-dialog[open]")
    code = teacher.inner_text("#class-big-code").strip()
    assert re.fullmatch(r"[34679ACEFGHKMNPRTWXY]{6}", code), code
    assert teacher.inner_text("#class-big-link").endswith(f"/j/{code}")
    teacher.wait_for_function("document.querySelector('#class-qr').naturalWidth > 0")
    big = teacher.evaluate("parseFloat(getComputedStyle(document.querySelector("
                           "'#class-big-code')).fontSize)")
    assert big >= 80, f"the code reads from the back of the room: {big} px"
    shot(teacher, "class-code-1280x720")
    teacher.click("#class-code-dialog button")
    assert teacher.inner_text("#class-btn-code") == code

    # a reload keeps the class (the tab keeps its code and token)
    teacher.reload()
    teacher.wait_for_function(FRAME, timeout=20000)
    assert teacher.inner_text("#class-btn-code") == code

    # two students: one through the join link, one (on a phone) through the join page
    aiko = _page(browser, server, f"/j/{code}", 1280, 720, dialogs, contexts)
    _join(aiko, MARKUP_NAME)
    ben = _page(browser, server, "/join", 390, 844, dialogs, contexts)
    _join(ben, "Ben", code.lower())
    aiko_id = aiko.evaluate("new URLSearchParams(location.search).get('student')")
    ben_id = ben.evaluate("new URLSearchParams(location.search).get('student')")

    # Aiko tries it and steers her copy: a larger learning rate, then play
    aiko.click("#btn-try")
    aiko.wait_for_url(re.compile(r"/s/[^/?#]+\?class="), timeout=10000)
    aiko.wait_for_function(FRAME, timeout=20000)
    aiko.evaluate("window.__lab.socket.send({type: 'set', config: {lr: 0.3}})")
    aiko.wait_for_function(f"{STATE}.config && {STATE}.config.lr === 0.3", timeout=10000)
    aiko.click("#btn-play")

    # the teacher sees both, by name, as text
    teacher.click("#btn-class")
    _row(teacher, aiko_id).wait_for(timeout=10000)
    _row(teacher, ben_id).wait_for(timeout=10000)
    assert teacher.inner_text(f'#class-roster tr[data-student="{aiko_id}"] .class-name') \
        == MARKUP_NAME
    assert teacher.locator("#class-roster img").count() == 0
    teacher.wait_for_function(
        f"document.querySelector('#class-roster tr[data-student=\"{aiko_id}\"] .class-state')"
        ".textContent === 'trying'", timeout=10000)
    teacher.wait_for_function(
        f"document.querySelector('#class-roster tr[data-student=\"{aiko_id}\"] td.num')"
        ".textContent.endsWith('%')", timeout=15000)
    # sorting by accuracy puts the student with a number first
    teacher.click("th[data-sort=acc] button")
    first = teacher.locator("#class-roster tbody tr").first.get_attribute("data-student")
    assert first == aiko_id
    shot(teacher, "class-panel-1280x720")

    # everyone: try it (Ben, following, is asked)
    teacher.fill("#class-message", "now you try: make it learn with lr 3")
    teacher.click("#class-forkall button[type=submit]")
    ben.wait_for_function("document.querySelector('#btn-try').classList.contains('invited')",
                          timeout=10000)

    # a challenge with an easy target: Aiko's playing copy meets it, ranked first
    teacher.select_option("#ch-metric", "test_loss")
    teacher.fill("#ch-target", "50")
    teacher.click("#class-challenge button[type=submit]")
    teacher.wait_for_selector("#class-board li.met", timeout=20000)
    li = teacher.locator("#class-board li.met").first
    assert li.locator(".rank").inner_text() == "1"
    assert li.locator(".who").inner_text() == MARKUP_NAME
    assert "reached in" in li.locator(".what").inner_text()
    assert "test loss ≤ 50" in teacher.inner_text("#class-challenge-now")

    # a bad target is refused in the page's words, naming the field and what is allowed
    teacher.select_option("#ch-metric", "test_acc")
    teacher.fill("#ch-target", "1.5")
    teacher.click("#class-challenge button[type=submit]")
    assert "Target: 1.5 is not allowed" in teacher.inner_text("#class-error")

    # project Aiko's run in presenter mode: read-only, with her name; then back to the
    # teacher's own run, still in presenter mode
    teacher.evaluate("document.activeElement.blur()")
    teacher.keyboard.press("p")
    teacher.wait_for_function("document.body.classList.contains('presenter')")
    teacher.click(f'#class-roster button[data-student="{aiko_id}"]')
    teacher.wait_for_url(re.compile(r"/view/[^/?#]+\?teacher_class="), timeout=10000)
    teacher.wait_for_function(FRAME, timeout=20000)
    assert teacher.evaluate(f"{STATE}.role") == "viewer"
    assert teacher.evaluate(f"{STATE}.sessionId") != sid
    assert MARKUP_NAME in teacher.inner_text("#class-projected")
    teacher.wait_for_function("document.body.classList.contains('presenter')")
    shot(teacher, "class-projected-1280x720")
    teacher.click("#class-back")
    teacher.wait_for_url(re.compile(rf"/s/{sid}"), timeout=10000)
    teacher.wait_for_function(FRAME, timeout=20000)
    assert teacher.evaluate(f"{STATE}.role") == "control"
    assert teacher.inner_text("#class-btn-code") == code
    teacher.wait_for_function("document.body.classList.contains('presenter')")

    # end the class (asked first): the panel offers to start a new one
    teacher.click("#btn-class")
    teacher.click("#class-end")
    teacher.click("#class-end-yes")
    teacher.wait_for_selector("#class-start", state="visible")
    assert teacher.inner_text("#class-btn-code") == ""


def _box(page: Any, selector: str) -> dict[str, float] | None:
    return page.evaluate(f"(() => {{ const el = document.querySelector('{selector}');"
                         " if (!el || !el.checkVisibility()) return null;"
                         " const r = el.getBoundingClientRect();"
                         " return {x: r.x, y: r.y, w: r.width, h: r.height}; })()")


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


SIZES = [(1280, 720, False), (1920, 1080, False), (1024, 768, True), (390, 844, False)]


def test_the_class_panel_fits_each_screen_and_covers_nothing_when_closed(
        browser: Any, server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    contexts: list[Any] = []
    try:
        for width, height, presenter in SIZES:
            page = _page(browser, server, "/", width, height, dialogs, contexts)
            page.wait_for_function(FRAME, timeout=20000)
            if presenter:
                page.keyboard.press("p")
                page.wait_for_function("document.body.classList.contains('presenter')")
            if width < 1024:
                page.click("#btn-tools")
            name = f"{width}x{height}" + ("-presenter" if presenter else "")
            page.click("#btn-class")
            page.fill("#class-name", "Room 4")
            page.click("#class-start button[type=submit]")
            page.wait_for_selector("#class-code-dialog[open]")
            page.wait_for_function("document.querySelector('#class-qr').naturalWidth > 0")
            dialog = _box(page, "#class-code-dialog")
            assert dialog is not None
            assert dialog["x"] >= 0 and dialog["x"] + dialog["w"] <= width, name
            assert dialog["y"] >= 0 and dialog["y"] + dialog["h"] <= height, \
                f"{name}: the join code and QR code fit the screen"
            code_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                                    "'#class-big-code')).fontSize)")
            assert code_px >= (40 if width < 1024 else 80), f"{name}: code at {code_px} px"
            page.screenshot(path=str(ARTIFACTS / f"class-code-{name}.png"))
            page.click("#class-code-dialog button")
            panel = _box(page, "#class-panel")
            assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["w"] <= width + 1
            overflow = page.evaluate("document.querySelector('#class-panel').scrollWidth"
                                     " - document.querySelector('#class-panel').clientWidth")
            assert overflow <= 1, f"{name}: the panel scrolls sideways by {overflow} px"
            page.screenshot(path=str(ARTIFACTS / f"class-open-{name}.png"))
            page.click("#class-close")
            assert _box(page, "#class-panel") is None
            for view in ("#network", "#surface"):
                box = _box(page, view)
                assert box is not None, f"{name}: {view} shown"
                for other in ("#class-panel", "#class-code-dialog", "#class-projected"):
                    o = _box(page, other)
                    assert o is None or not _overlaps(o, box), f"{name}: {other} covers {view}"
            page.screenshot(path=str(ARTIFACTS / f"class-closed-{name}.png"))
    finally:
        for ctx in contexts:
            ctx.close()
    assert not dialogs


def test_a_refusal_is_said_from_its_code_in_japanese(browser: Any, server: str) -> None:
    import json
    import urllib.request

    contexts: list[Any] = []
    try:
        ctx = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 720},
                                  bypass_csp=True)
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto(server + "/")
        page.wait_for_function(FRAME, timeout=20000)
        sid, token = page.evaluate(f"[{STATE}.sessionId, {STATE}.token]")
        req = urllib.request.Request(
            f"{server}/api/classes", data=json.dumps({"session": sid}).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-Control-Token": token})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 201  # a class this tab does not know of
            other = json.load(r)
        page.click("#btn-class")
        assert page.inner_text("#class-start button[type=submit]") == "クラスを始める"
        page.click("#class-start button[type=submit]")
        page.wait_for_selector("#class-error:not([hidden])")
        text = page.inner_text("#class-error")
        assert "すでにクラスが動いています" in text, text
        assert "already" not in text, "the page's words, not the server's English"

        # that class ends elsewhere; the page starts its own, and hears when that one ends
        _delete(server, f"/api/classes/{other['code']}", other["class_token"])
        page.click("#class-start button[type=submit]")
        page.wait_for_selector("#class-code-dialog[open]")
        page.click("#class-code-dialog button")
        mine = page.evaluate("JSON.parse(sessionStorage.getItem('backprop-teacher-class'))")
        _delete(server, f"/api/classes/{mine['code']}", mine["class_token"])
        page.wait_for_selector("#class-start", state="visible", timeout=10000)
        assert page.inner_text("#class-error") == "クラスを終了しました。"
        assert page.evaluate("sessionStorage.getItem('backprop-teacher-class')") is None
    finally:
        for c in contexts:
            c.close()
