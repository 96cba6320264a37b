"""The page's first minute: the learning controls in sight, the training speed, a lesson's pace,
the last good numbers after a divergence, the fine-tuning panel that leaves with its data set,
and a viewer that follows presenter mode."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE = "window.__lab.state"
LEARNING = ["#f-optimizer", "#f-lr", "#f-batch", "#f-dropout"]


def config_hash(cfg: dict[str, Any]) -> str:
    return "/#config=" + urllib.parse.quote(json.dumps(cfg))


def box(w: Any, selector: str) -> dict[str, float]:
    return w.page.eval_on_selector(selector, """el => { const r = el.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                width: r.width, height: r.height}; }""")


@pytest.mark.parametrize("lang", ["en-US", "ja-JP"])
@pytest.mark.parametrize("size", [(1366, 768), (1280, 720)])
def test_learning_rate_optimizer_dropout_and_batch_are_in_sight_without_scrolling(
        open_page: Any, shot: Any, size: tuple[int, int], lang: str) -> None:
    width, height = size
    w = open_page("/", lang=lang, width=width, height=height)
    assert w.page.evaluate("window.scrollY") == 0
    assert w.page.evaluate("document.querySelector('#controls').scrollTop") == 0
    for sel in LEARNING:
        for part in (sel, f"label[for='{sel[1:]}']"):
            b = box(w, part)
            assert b["height"] > 0 and b["width"] > 0, f"{part} is not shown"
            where = f"{part} at {b['top']}..{b['bottom']} of {height}"
            assert 0 <= b["top"] and b["bottom"] <= height, where
            assert 0 <= b["left"] and b["right"] <= width, part
    shot(w.page, f"first-minute-controls-{width}x{height}-{lang[:2]}")
    assert not w.errors, w.errors


def test_the_training_speed_shows_beside_the_epoch_counter(open_page: Any, shot: Any) -> None:
    w = open_page("/", width=1366, height=768)
    assert w.page.inner_text("#rate-epochs") == "– epochs/s"
    w.page.click("#btn-play")
    w.page.wait_for_function(f"{STATE}.rate.stepsPerSecond > 0 && {STATE}.rate.epochsPerSecond > 0",
                             timeout=20000)
    w.page.wait_for_function(
        "/^[0-9.,]+ epochs\\/s$/.test(document.querySelector('#rate-epochs').textContent)")
    assert re.fullmatch(r"[0-9.,]+ steps/s", w.page.inner_text("#rate-steps"))
    # beside the epoch counter: on the same row of the top bar, right of it
    epoch, rate = box(w, "#epoch"), box(w, "#rate")
    assert rate["left"] >= epoch["right"] and rate["top"] < epoch["bottom"]
    shot(w.page, "first-minute-speed")
    w.page.click("#btn-play")
    w.page.wait_for_function(f"!{STATE}.running")
    w.page.wait_for_function("document.querySelector('#rate-epochs').textContent === '– epochs/s'")


def test_a_lesson_runs_at_its_pace_shown_and_changeable(open_page: Any, api: Any,
                                                        shot: Any) -> None:
    w = open_page("/", width=1366, height=768)
    w.page.click("#btn-lessons")
    w.page.click("button[data-lesson='xor-needs-hidden-layer']")
    # 500 steps at 50 steps per second: ten seconds the class can watch, not a tenth of one
    w.page.wait_for_function(f"{STATE}.speed === 50", timeout=10000)
    assert api(w.page.evaluate(f"{STATE}.sessionId"))["speed"] == 50
    assert w.page.eval_on_selector("#f-speed", "el => el.value") == "50"
    chosen = w.page.eval_on_selector("#f-speed", "el => el.selectedOptions[0].textContent")
    assert chosen == "50 steps/s"
    w.page.wait_for_selector("#lesson-card .lesson-pace")
    assert "Pace: 50 steps/s, about 10 s" in w.page.inner_text("#lesson-card .lesson-pace")
    shot(w.page, "first-minute-lesson-pace")
    w.page.select_option("#f-speed", "100")
    w.page.wait_for_function(f"{STATE}.speed === 100")


def test_after_a_divergence_the_last_good_numbers_stay(open_page: Any, shot: Any) -> None:
    cfg = {"data": "plane", "optimizer": "sgd", "lr": 10}
    w = open_page(config_hash(cfg), width=1366, height=768)
    w.page.click("#btn-play")
    w.page.wait_for_selector("#banner-diverged:not([hidden])", timeout=20000)
    w.page.wait_for_function(f"{STATE}.frame.header.metrics.train_loss === null")
    good = w.page.evaluate(f"{STATE}.goodFrame.header")
    assert good["step"] < w.page.evaluate(f"{STATE}.diverged.step")
    for sel in ["#m-train-loss", "#m-test-loss"]:
        text = w.page.inner_text(sel)
        assert text not in ("–", "NaN", "∞"), f"{sel} reads {text!r}"
        assert "last good step" in (w.page.get_attribute(sel, "title") or "")
    # the numbers of the history's last finite row (points come for every step, frames do not)
    row = w.page.evaluate(f"{STATE}.history.lastFinite('train_loss')")
    assert row["step"] >= good["step"]
    assert f"({row['step']})" in (w.page.get_attribute("#m-train-loss", "title") or "")
    loss = w.page.inner_text("#m-train-loss")
    assert float(loss.replace("−", "-")) == pytest.approx(row["train_loss"], rel=1e-2)
    # the network's edge scale is the last good step's largest finite weight
    legend = w.page.inner_text("#net-legend")
    scale = w.page.evaluate(f"""(() => {{ const a = {STATE}.goodFrame.arrays; let m = 0;
        for (const k of Object.keys(a)) if (/^W\\d+$/.test(k)) for (const v of a[k])
          if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m; }})()""")
    shown = float(legend.rsplit(" ", 1)[1].replace("−", "-"))
    assert shown == pytest.approx(scale, rel=0.06), legend
    shot(w.page, "first-minute-diverged")


def test_the_fine_tuning_panel_leaves_with_the_digits(open_page: Any) -> None:
    w = open_page(config_hash({"data": "digits"}), width=1366, height=768)
    w.page.wait_for_selector("#finetune:not([hidden])")
    w.page.select_option("#f-data", "spiral")
    w.page.wait_for_function(f"{STATE}.config.data === 'spiral' && {STATE}.info.dims === 2")
    w.page.wait_for_selector("#finetune", state="hidden")
    assert w.page.get_attribute("#btn-finetune", "aria-pressed") == "false"
    # opened by hand on the spiral, it stays
    w.page.click("#btn-finetune")
    w.page.select_option("#f-data", "moons")
    w.page.wait_for_function(f"{STATE}.config.data === 'moons'")
    w.page.wait_for_timeout(300)
    assert w.page.is_visible("#finetune")


def test_a_viewer_follows_presenter_mode_and_can_leave_it(open_page: Any, shot: Any) -> None:
    ctl = open_page("/", width=1366, height=768)
    viewer_url = ctl.page.evaluate("window.__lab.shareUrls().viewer")
    v = open_page("/" + viewer_url.split("/", 3)[3], width=1280, height=720)
    assert v.page.evaluate(f"{STATE}.role") == "viewer"
    is_presenter = "document.body.classList.contains('presenter')"
    ctl.page.click("h1")
    ctl.page.keyboard.press("p")
    v.page.wait_for_function(is_presenter, timeout=5000)
    shot(v.page, "first-minute-viewer-presenter")
    # the viewer leaves it on its own page; the teacher stays in it
    v.page.click("#btn-presenter")
    assert not v.page.evaluate(is_presenter)
    assert ctl.page.evaluate(is_presenter)
    ctl.page.click("#btn-walk")  # the teacher's page shares its state again (presenter still on)
    v.page.wait_for_selector("#walkthrough:not([hidden])", timeout=5000)
    assert not v.page.evaluate(is_presenter)
    # the teacher switches it off: the viewer follows again
    ctl.page.click("#btn-walk")
    ctl.page.click("#btn-presenter")
    v.page.wait_for_function(
        f"!{is_presenter} && {STATE}.presenter && {STATE}.presenter.presenter === false")
    # a viewer opened later starts in the teacher's presenter mode
    ctl.page.click("#btn-presenter")
    late = open_page("/" + viewer_url.split("/", 3)[3], width=1280, height=720)
    late.page.wait_for_function(is_presenter, timeout=5000)


def _post(server: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    import urllib.request
    req = urllib.request.Request(server + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=10) as r:
        return dict(json.load(r))


def test_a_student_tries_the_teachers_run_and_comes_back(open_page: Any, server: str,
                                                         shot: Any) -> None:
    teacher = open_page("/", width=1366, height=768)
    sid, token = teacher.page.evaluate(f"[{STATE}.sessionId, {STATE}.token]")
    cls = _post(server, "/api/classes", {"session": sid, "name": "Class"},
                {"X-Control-Token": token})
    joined = _post(server, f"/api/classes/{cls['code']}/join", {"name": "Ken"}, {})
    follow = joined["follow_url"].split("/", 3)[3]
    s = open_page("/" + follow, width=390, height=844)
    assert s.page.evaluate(f"{STATE}.role") == "viewer"
    assert s.page.is_visible("#btn-try") and not s.page.is_visible("#btn-back-teacher")
    shot(s.page, "class-follow-390x844")
    s.page.click("#btn-try")
    s.page.wait_for_url(re.compile(r"/s/[^/?#]+\?class="), timeout=10000)
    s.page.wait_for_function("window.__lab && window.__lab.state.frame !== null", timeout=20000)
    assert s.page.evaluate(f"{STATE}.role") == "control"
    assert s.page.evaluate(f"{STATE}.sessionId") != sid, "the student steers a copy"
    assert s.page.is_visible("#btn-back-teacher") and not s.page.is_visible("#btn-try")
    shot(s.page, "class-fork-390x844")
    s.page.click("#btn-back-teacher")
    s.page.wait_for_url(re.compile(rf"/view/{sid}\?class="), timeout=10000)
    s.page.wait_for_function("window.__lab && window.__lab.state.frame !== null", timeout=20000)
    assert s.page.evaluate(f"{STATE}.sessionId") == sid
    assert not s.errors, s.errors
