"""Teaching mode in a real browser against a real server: the step walkthrough with the engine's
numbers, the optimizer race, a lesson in Japanese, and a viewer following the teacher."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any

import pytest
from websockets.sync.client import connect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE = "window.__lab.state"
PHASES = ["forward", "loss", "backward", "update"]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def config_hash(cfg: dict[str, Any]) -> str:
    return "/#config=" + urllib.parse.quote(json.dumps(cfg))


def shown_numbers(page: Any) -> dict[str, str]:
    """The numbers the walkthrough panel displays, by meaning (data-k)."""
    pairs = page.eval_on_selector_all(
        "#wt-body [data-k]", "els => els.map(e => [e.dataset.k, e.textContent])")
    return dict(pairs)


def matches(text: str, engine: float) -> bool:
    """The shown text is the engine's value to the digits shown (half a unit of the last)."""
    s = text.replace("−", "-")
    m = re.fullmatch(r"(-?[\d.]+)×10(-?\d+)", s)
    mant, exp = (m.group(1), int(m.group(2))) if m else (s, 0)
    d = Decimal(mant)
    place = d.as_tuple().exponent
    assert isinstance(place, int)
    half = Decimal(5).scaleb(place + exp - 1) * Decimal("1.000001")
    return abs(d.scaleb(exp) - Decimal(repr(float(engine)))) <= half


class PhaseWatch:
    """A viewer websocket on the session: the engine's phase events as the server sends them."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    def next_phase(self, timeout: float = 15) -> dict[str, Any]:
        while True:
            msg = self.ws.recv(timeout=timeout)
            if isinstance(msg, str):
                ev = json.loads(msg)
                if ev["type"] == "phase":
                    return ev


def wait_phase(page: Any, phase: str) -> None:
    page.wait_for_function(
        f"document.querySelector('#walkthrough').dataset.phase === {phase!r}"
        " && document.querySelectorAll('#wt-body [data-k]').length > 0", timeout=15000)


def test_walk_all_four_phases_with_the_engines_numbers(open_page: Any, server: str,
                                                       shot: Any) -> None:
    cfg = {"data": "spiral", "layers": [6, 4], "optimizer": "adam", "lr": 0.01,
           "batch_size": 8, "dropout": 0.25}
    w = open_page(config_hash(cfg))
    page = w.page
    sid = page.evaluate(f"{STATE}.sessionId")
    with connect(server.replace("http", "ws") + f"/ws/{sid}", max_size=None) as ws:
        watch = PhaseWatch(ws)
        page.click("#btn-walk")
        assert page.locator("#walkthrough").is_visible()
        events = {}
        for k, phase in enumerate(PHASES):
            if k % 2:
                page.keyboard.press("ArrowRight")  # the keyboard walks too
            else:
                page.click("#wt-next")
            events[phase] = watch.next_phase()
            assert events[phase]["phase"] == phase
            wait_phase(page, phase)
            nums = shown_numbers(page)
            fw = events["forward"]["layers"][0]
            if phase == "forward":
                assert matches(nums["z"], fw["z"][0][0]), (nums["z"], fw["z"][0][0])
                assert matches(nums["a"], fw["a"][0][0])
                assert matches(nums["x.0"], fw["x"][0][0])
                assert matches(nums["mask"], fw["mask"][0][0])
                page.wait_for_timeout(1500)  # the pass lights the layers in turn
                shot(page, "teach-walk-forward")
            elif phase == "loss":
                ev = events["loss"]
                assert matches(nums["loss"], ev["loss"])
                assert matches(nums["p.0"], ev["p"][0][0])
                assert matches(nums["dz_out.0"], ev["dz"][0][0])
            elif phase == "backward":
                b = events["backward"]["layers"][0]
                assert matches(nums["dz"], b["dz"][0][0])
                assert matches(nums["dW"], b["dW"][0][0])
                assert matches(nums["db"], b["db"][0])
                # the network's edges now show dL/dW (its legend says so)
                page.wait_for_function("document.querySelector('#net-legend').textContent"
                                       ".startsWith('|dL/dW|')")
                shot(page, "teach-walk-backward")
            else:
                u = events["update"]
                lay = u["layers"][0]
                m = lay["state"]["exp_avg"]["W"][0][0]
                b1 = u["hyper"]["betas"][0]
                assert matches(nums["w_before"], lay["W_before"][0][0])
                assert matches(nums["w_after"], lay["W"][0][0])
                assert matches(nums["m"], m)
                assert matches(nums["mhat"], m / (1 - b1 ** u["t"]))
                # the forward pass's weights were the ones the update started from
                back = page.evaluate("document.querySelector('#wt-prev').disabled")
                assert not back
                shot(page, "teach-walk-update")
        # previous phase shows the earlier numbers again, without asking the server
        page.keyboard.press("ArrowLeft")
        wait_phase(page, "backward")
        assert matches(shown_numbers(page)["dW"], events["backward"]["layers"][0]["dW"][0][0])
        # choose another neuron and input: the numbers follow
        page.fill("#wt-unit", "3")
        page.fill("#wt-input", "2")
        page.dispatch_event("#wt-input", "change")
        page.wait_for_timeout(300)
        b = events["backward"]["layers"][0]
        assert matches(shown_numbers(page)["dW"], b["dW"][2][1])
        assert page.locator("#wt-why").inner_text().startswith("Why:")
        assert w.errors == []


def test_a_race_of_sgd_and_adam_shows_both_curves(open_page: Any, shot: Any) -> None:
    w = open_page(config_hash({"data": "spiral", "layers": [16, 16], "activation": "relu",
                               "batch_size": 0}))
    page = w.page
    page.click("#btn-race")
    page.wait_for_selector("#race-setup[open]")
    options = page.eval_on_selector_all("#race-setup tr[data-row] select",
                                        "els => els.map(e => e.value)")
    assert options == ["sgd", "adam"]
    page.click("#race-setup button[data-start]")
    page.wait_for_function("document.body.dataset.race === 'on'", timeout=20000)
    page.wait_for_function(f"window.__lab && {STATE}.frame !== null", timeout=20000)
    assert page.locator("#race-panel").is_visible()
    assert page.locator("#race-surfaces canvas").count() == 2
    page.click("#btn-play")
    page.wait_for_function("document.querySelector('#race-panel').dataset.curves === '2'",
                           timeout=30000)
    page.wait_for_function(f"{STATE}.step >= 300", timeout=60000)
    labels = page.eval_on_selector_all("#race-surfaces figcaption strong",
                                       "els => els.map(e => e.textContent)")
    assert labels[0].startswith("SGD") and labels[1].startswith("Adam")
    status = page.locator("#race-status").inner_text()
    assert "Race to" in status or "wins" in status
    shot(page, "teach-race")
    page.click("#btn-play")
    assert w.errors == []


def test_a_lesson_opens_in_japanese(open_page: Any, api: Any, shot: Any) -> None:
    w = open_page("/", lang="ja-JP")
    page = w.page
    page.click("#btn-lessons")
    page.wait_for_function(
        "document.querySelectorAll('#lessons-menu button[data-lesson]').length >= 8")
    titles = page.eval_on_selector_all("#lessons-menu button[data-lesson] strong",
                                       "els => els.map(e => e.textContent)")
    assert all(JAPANESE.search(x) for x in titles), titles
    page.click("#lessons-menu button[data-lesson='xor-needs-hidden-layer']")
    page.wait_for_function("document.querySelector('#lesson-card').dataset.lesson"
                           " === 'xor-needs-hidden-layer'", timeout=15000)
    card = page.locator("#lesson-card")
    page.wait_for_function("document.querySelectorAll('#lesson-card [data-variant]').length === 3")
    text = card.inner_text()
    assert "クラスへの問い" in text and JAPANESE.search(text)
    sid = page.evaluate(f"{STATE}.sessionId")
    page.wait_for_function(f"{STATE}.config.data === 'xor'")
    page.click("#lesson-card [data-variant='hidden-layer']")
    page.wait_for_function("document.querySelector('#lesson-card').dataset.variant"
                           " === 'hidden-layer'", timeout=15000)
    page.wait_for_function(f"JSON.stringify({STATE}.config.layers) === '[8]'")
    assert api(sid)["config"]["layers"] == [8]
    assert page.get_attribute("#lesson-card [data-variant='hidden-layer']",
                              "aria-pressed") == "true"
    shot(page, "teach-lesson-ja")
    assert w.errors == []


def test_a_viewer_follows_the_teachers_walkthrough(open_page: Any, shot: Any) -> None:
    teacher = open_page(config_hash({"data": "xor", "layers": [3], "optimizer": "sgd",
                                     "lr": 0.1, "momentum": 0.9, "batch_size": 5}))
    t = teacher.page
    sid = t.evaluate(f"{STATE}.sessionId")
    viewer = open_page(f"/view/{sid}")
    v = viewer.page
    assert v.locator("#walkthrough").is_hidden()
    t.click("#btn-walk")
    for phase in PHASES[:3]:
        t.click("#wt-next")
        wait_phase(t, phase)
    wait_phase(v, "backward")
    # the teacher's view state goes out coalesced (80 ms), so it may land after the phase events
    v.wait_for_selector("#walkthrough", state="visible", timeout=10000)
    assert shown_numbers(v) == shown_numbers(t)
    assert v.evaluate("document.querySelector('#wt-next').disabled")
    # the teacher picks another neuron and goes back a phase: the viewer follows both
    t.click("#wt-prev")
    wait_phase(t, "loss")
    wait_phase(v, "loss")
    t.fill("#wt-sample", "4")
    t.dispatch_event("#wt-sample", "change")
    v.wait_for_function("document.querySelector('#wt-sample').value === '4'", timeout=10000)
    v.wait_for_timeout(200)
    assert shown_numbers(v) == shown_numbers(t)
    shot(v, "teach-viewer-follows")
    t.click("#wt-close")
    v.wait_for_function("document.querySelector('#walkthrough').hidden", timeout=10000)
    assert teacher.errors == [] and viewer.errors == []


def test_the_walkthrough_fits_a_projector_with_the_network_beside_it(
        open_page: Any, server: str, shot: Any) -> None:
    """1280 × 720, presenter mode, dropout: every formula stays inside the panel (long ones
    wrap at "=" or shrink), the lit network and the formulas are on screen together, and the
    backward dL/da shows the dropout mask: (Σ W·dL/dz) · m = the engine's da."""
    cfg = {"data": "spiral", "layers": [6, 4], "optimizer": "adam", "lr": 0.01,
           "batch_size": 8, "dropout": 0.5}
    w = open_page(config_hash(cfg), width=1280, height=720)
    page = w.page
    sid = page.evaluate(f"{STATE}.sessionId")
    page.keyboard.press("p")
    with connect(server.replace("http", "ws") + f"/ws/{sid}", max_size=None) as ws:
        watch = PhaseWatch(ws)
        page.click("#btn-walk")
        events = {}
        for phase in PHASES:
            page.click("#wt-next")
            events[phase] = watch.next_phase()
            wait_phase(page, phase)
            page.wait_for_timeout(200)
            fit = page.evaluate("""() => {
                const body = document.querySelector('#wt-body').getBoundingClientRect();
                const over = [...document.querySelectorAll('#wt-body .wt-eqn math')]
                  .map((m) => m.getBoundingClientRect()).filter((r) => r.right > body.right + 1
                    || r.left < body.left - 1).length;
                const net = document.querySelector('#network').getBoundingClientRect();
                const first = document.querySelector('#wt-body .wt-line').getBoundingClientRect();
                const inView = (r) => r.top >= 0 && r.bottom <= innerHeight + 1 && r.left >= 0
                  && r.right <= innerWidth + 1;
                return {over, net: inView(net), line: inView(first),
                        side: first.left >= net.right - 1};
            }""")
            assert fit == {"over": 0, "net": True, "line": True, "side": True}, (phase, fit)
            if phase == "backward":
                # a hidden neuron: layer 0, neuron 1, sample 1 (the defaults)
                d = dict(page.eval_on_selector_all(
                    "#wt-body [data-line='da'] [data-k]",
                    "els => els.map(e => [e.dataset.k, e.textContent])"))
                fw = events["forward"]["layers"]
                mask = fw[0]["mask"][0][0]
                total = sum(fw[1]["W"][k][0] * g
                            for k, g in enumerate(events["backward"]["layers"][1]["dz"][0]))
                assert matches(d["mask"], mask), (d, mask)
                assert matches(d["da_sum"], total), (d, total)
                da = events["backward"]["layers"][0]["da"][0][0]
                assert matches(shown_numbers(page)["da"], da)
                shot(page, "teach-walk-projector-backward")
            if phase == "update":
                shot(page, "teach-walk-projector-update")
    assert w.errors == []


def test_a_lesson_brings_its_views_forward_and_says_where_play_stops(
        open_page: Any, shot: Any) -> None:
    """Presenter mode hides the secondary panels; a lesson whose "Look at" names the gradient
    chart or the confusion matrix shows them there, marked and scrolled into view."""
    w = open_page("/", width=1280, height=720)
    page = w.page
    page.keyboard.press("p")
    assert page.locator("#grad-panel").is_hidden()
    page.click("#btn-lessons")
    page.click("#lessons-menu button[data-lesson='vanishing-gradients']")
    page.wait_for_function("document.querySelector('#grad-panel').classList.contains('focused')",
                           timeout=15000)
    page.wait_for_timeout(500)
    assert page.locator("#grad-panel").is_visible()
    box = page.locator("#grad-panel h2").bounding_box()
    assert box is not None and 0 <= box["y"] <= 720 - box["height"], box
    assert page.get_attribute("#lesson-card", "data-until") == "200"
    assert "Play stops at step 200." in page.inner_text("#lesson-card")
    shot(page, "teach-lesson-focus-gradients")
    page.click("#lesson-card [data-open-menu]")
    page.click("#lessons-menu button[data-lesson='fine-tuning']")
    page.wait_for_function("document.querySelector('#eval-panel').classList.contains('focused')",
                           timeout=15000)
    assert page.locator("#eval-panel").is_visible() and page.locator("#digits-panel").is_visible()
    assert not page.evaluate("document.querySelector('#grad-panel').classList.contains('focused')")
    # variants loaded in a row: one toast about the rebuild, not a stack of them
    for v in ("scratch", "fine-tuned", "scratch"):
        page.click(f"#lesson-card [data-variant='{v}']")
        page.wait_for_function("document.querySelector('#lesson-card').dataset.variant"
                               f" === '{v}'", timeout=15000)
    page.wait_for_timeout(500)
    toasts = page.eval_on_selector_all("#toasts .toast", "els => els.map(e => e.textContent)")
    assert len([t for t in toasts if "new network" in t]) <= 1, toasts
    shot(page, "teach-lesson-focus-confusion")
    assert w.errors == []


def test_a_late_viewer_sees_every_phase_of_the_walked_step(open_page: Any) -> None:
    teacher = open_page(config_hash({"data": "xor", "layers": [3], "optimizer": "sgd",
                                     "lr": 0.1, "batch_size": 5, "dropout": 0.2}))
    t = teacher.page
    sid = t.evaluate(f"{STATE}.sessionId")
    t.click("#btn-walk")
    for phase in PHASES[:3]:
        t.click("#wt-next")
        wait_phase(t, phase)
    t.wait_for_timeout(300)  # the presenter state goes out coalesced
    viewer = open_page(f"/view/{sid}")
    v = viewer.page
    wait_phase(v, "backward")
    assert v.get_attribute("#walkthrough", "data-phases") == "forward,loss,backward"
    assert shown_numbers(v) == shown_numbers(t)
    t.click("#wt-prev")
    t.click("#wt-prev")
    wait_phase(t, "forward")
    wait_phase(v, "forward")
    v.wait_for_timeout(300)
    nums = shown_numbers(v)
    assert nums == shown_numbers(t)
    assert "?" not in nums.values(), nums
    assert teacher.errors == [] and viewer.errors == []


def test_a_tie_is_announced_as_a_tie_and_runner_ones_views_say_so(
        open_page: Any, server: str, shot: Any) -> None:
    body = {"config": {"data": "xor", "layers": [8], "batch_size": 0},
            "race": {"runners": [{"optimizer": "adam", "lr": 0.03, "label": "Adam A"},
                                 {"optimizer": "adam", "lr": 0.03, "label": "Adam B"}],
                     "target": {"metric": "train_loss", "value": 0.3}}}
    req = urllib.request.Request(server + "/api/sessions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        s = json.load(r)
    w = open_page(f"/s/{s['id']}#token={s['token']}")
    page = w.page
    tags = page.eval_on_selector_all(
        "[data-runner-tag]:not([hidden])", "els => els.map(e => e.textContent)")
    assert len(tags) >= 4 and all(t == "runner 1: Adam A" for t in tags), tags
    page.click("#btn-play")
    page.wait_for_function("document.querySelector('#race-panel').dataset.winner !== ''",
                           timeout=60000)
    page.click("#btn-play")
    status = page.inner_text("#race-status")
    assert page.get_attribute("#race-panel", "data-tie") == "0,1"
    assert status.startswith("Tie at step") and "Adam A" in status and "Adam B" in status, status
    assert "wins" not in status and " s of training" not in status, status
    assert page.locator(".race-runner.winner").count() == 2
    shot(page, "teach-race-tie")
    assert w.errors == []
