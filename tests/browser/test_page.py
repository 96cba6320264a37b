"""The page in a real browser against a real server: what a teacher and a student do."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE = "window.__lab.state"


def sid(w: Any) -> str:
    return w.page.evaluate(f"{STATE}.sessionId")


def step_of(w: Any) -> int:
    return int(w.page.evaluate(f"{STATE}.step"))


def wait_steps(w: Any, n: int, timeout: float = 20000) -> None:
    w.page.wait_for_function(f"{STATE}.step >= {n}", timeout=timeout)


def set_range(w: Any, selector: str, value: float) -> None:
    """Move a slider as a user would end a drag: value, input, change."""
    w.page.eval_on_selector(selector, """(el, v) => { el.value = String(v);
        el.dispatchEvent(new Event('input', {bubbles: true}));
        el.dispatchEvent(new Event('change', {bubbles: true})); }""", value)


def config_hash(cfg: dict[str, Any]) -> str:
    return "/#config=" + urllib.parse.quote(json.dumps(cfg))


def test_page_loads_without_console_errors(open_page: Any, shot: Any) -> None:
    w = open_page("/")
    assert w.page.url.split("#")[0].rsplit("/", 2)[-2] == "s", "the URL becomes /s/{id}"
    assert "#token=" in w.page.url
    assert w.page.locator("#network").is_visible()
    assert w.page.locator("#surface").is_visible()
    w.page.wait_for_timeout(500)
    shot(w.page, "page-loaded")
    assert w.errors == []


def test_play_advances_the_epoch_counter_and_the_loss_falls(open_page: Any, shot: Any) -> None:
    w = open_page("/")
    first = float(w.page.evaluate(f"{STATE}.frame.header.metrics.train_loss"))
    w.page.click("#btn-play")
    w.page.wait_for_function(f"{STATE}.epoch >= 100", timeout=30000)
    w.page.wait_for_function("parseInt(document.querySelector('#epoch').textContent"
                             ".replace(/,/g, '')) >= 100")
    w.page.wait_for_function(f"{STATE}.frame.header.metrics.train_loss < {first} * 0.7",
                             timeout=30000)
    assert w.page.get_attribute("#btn-play", "aria-pressed") == "true"
    assert w.page.evaluate(f"{STATE}.history.length") > 2
    shot(w.page, "spiral-training")
    w.page.click("#btn-play")
    w.page.wait_for_function(f"!{STATE}.running")
    assert w.errors == []


def test_learning_rate_changes_live_without_a_reset(open_page: Any, api: Any) -> None:
    w = open_page("/")
    w.page.click("#btn-play")
    wait_steps(w, 200)
    before = step_of(w)
    set_range(w, "#f-lr", 12)  # the 13th stop: 0.01
    w.page.wait_for_function(f"{STATE}.config.lr === 0.01")
    assert api(sid(w))["config"]["lr"] == 0.01
    wait_steps(w, before + 200)
    assert w.page.locator("#rebuild-confirm").is_hidden(), "a live change asks nothing"
    assert w.page.evaluate(f"{STATE}.history.rows[0][0]") <= before, "the history was kept"
    assert w.page.locator("#o-lr").inner_text() == "0.01"
    w.page.click("#btn-play")


def test_the_optimizer_switches(open_page: Any, api: Any) -> None:
    w = open_page("/")
    assert w.page.locator("#f-beta1").is_visible()
    w.page.select_option("#f-optimizer", "sgd")
    w.page.wait_for_function(f"{STATE}.config.optimizer === 'sgd'")
    assert api(sid(w))["config"]["optimizer"] == "sgd"
    assert w.page.locator("#f-momentum").is_visible()
    assert w.page.locator("#f-beta1").is_hidden()
    w.page.click("#btn-step")
    w.page.wait_for_function(f"{STATE}.step >= 1")
    assert w.errors == []


def test_dropout_dims_neurons(open_page: Any, shot: Any) -> None:
    w = open_page("/")
    assert w.page.get_attribute("#network", "data-dropped") == "0"
    set_range(w, "#f-dropout", 0.5)
    w.page.wait_for_function(f"{STATE}.config.dropout === 0.5")
    w.page.click("#btn-step")
    w.page.wait_for_function("Number(document.querySelector('#network').dataset.dropped) > 0")
    shot(w.page, "dropout")
    set_range(w, "#f-dropout", 0)
    w.page.wait_for_function(f"{STATE}.config.dropout === 0")
    w.page.click("#btn-step")
    w.page.wait_for_function("document.querySelector('#network').dataset.dropped === '0'")


def test_the_gradient_view_toggles(open_page: Any, shot: Any) -> None:
    w = open_page("/")
    w.page.click("#btn-step")
    w.page.wait_for_function(f"{STATE}.step >= 1")
    w.page.wait_for_timeout(300)
    weights = w.page.evaluate("document.querySelector('#network').toDataURL()")
    assert "|w|" in w.page.inner_text("#net-legend")
    w.page.check("#toggle-grad")
    w.page.wait_for_function("document.querySelector('#network').dataset.mode === 'gradients'")
    w.page.wait_for_timeout(300)
    grads = w.page.evaluate("document.querySelector('#network').toDataURL()")
    assert "dL/dW" in w.page.inner_text("#net-legend")
    assert grads != weights, "the edges are drawn from dL/dW instead of W"
    shot(w.page, "gradients")
    w.page.click("h1")  # focus off the checkbox: shortcuts do not fire while typing in a field
    w.page.keyboard.press("g")  # the shortcut toggles back
    w.page.wait_for_function("document.querySelector('#network').dataset.mode === 'weights'")


def test_digits_confusion_matrix_counts_sum_to_the_test_set(open_page: Any, api: Any,
                                                           shot: Any) -> None:
    w = open_page(config_hash({"data": "digits", "layers": [64, 32], "batch_size": 32}))
    assert w.page.locator("#digits-panel").is_visible()
    assert w.page.locator("#surface-panel").is_hidden()
    w.page.click("#btn-play")
    w.page.wait_for_function(f"{STATE}.epoch >= 3", timeout=30000)
    w.page.click("#btn-play")
    w.page.wait_for_function(f"!{STATE}.running")
    w.page.wait_for_timeout(300)
    test_size = api(sid(w))["info"]["test_size"]
    counts = w.page.eval_on_selector_all("#confusion td[data-cell]",
                                         "tds => tds.map(td => Number(td.dataset.count))")
    assert len(counts) == 100
    assert sum(counts) == test_size
    assert w.page.get_attribute("#confusion table.confusion", "data-total") == str(test_size)
    # a cell lists its samples in the digits grid
    w.page.click("#confusion td[data-cell='3,3']")
    n33 = counts[33]
    w.page.wait_for_function("document.querySelector('#btn-clear-filter').offsetParent !== null")
    w.page.wait_for_timeout(200)
    shown = int(w.page.get_attribute("#digits", "data-shown") or 0)
    assert 0 < shown <= n33, "the grid shows only that cell's samples"
    assert w.page.get_attribute("#digits", "data-errors") == "0", "true 3, predicted 3: no error"
    assert str(n33) in w.page.inner_text("#confusion .cell-samples")
    shot(w.page, "digits")
    assert w.errors == []


def test_japanese_switches_every_visible_label(open_page: Any, shot: Any) -> None:
    w = open_page("/")
    w.page.select_option("#lang", "ja")
    w.page.wait_for_function("document.documentElement.lang === 'ja'")
    bad = w.page.evaluate("""async () => {
        const { STRINGS } = await import('/static/js/i18n.js');
        const out = [];
        for (const el of document.querySelectorAll('[data-i18n]')) {
            if (!el.offsetParent && el.tagName !== 'OPTION') continue;
            const k = el.dataset.i18n;
            if (el.textContent !== STRINGS.ja[k]) out.push(`${k}: ${el.textContent}`);
        }
        const en = new Set(Object.entries(STRINGS.en).filter(([k, v]) => STRINGS.ja[k] !== v)
                                                       .map(([, v]) => v));
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const s = n.textContent.trim();
            if (s && n.parentElement.offsetParent && en.has(s)) out.push(`English left: ${s}`);
        }
        for (const el of document.querySelectorAll('[data-i18n-title]'))
            if (el.title !== STRINGS.ja[el.dataset.i18nTitle]) out.push(`title ${el.title}`);
        return out;
    }""")
    assert bad == []
    assert w.page.inner_text("#play-label") == "再生"
    assert "隠れ層" in w.page.inner_text("#layers-count")
    shot(w.page, "japanese")
    w.page.reload()
    w.page.wait_for_function("document.documentElement.lang === 'ja'")  # remembered


def test_the_browser_language_picks_japanese(open_page: Any) -> None:
    w = open_page("/", lang="ja-JP")
    assert w.page.evaluate("document.documentElement.lang") == "ja"
    assert w.page.input_value("#lang") == "ja"


def test_a_viewer_page_follows_the_control_page(open_page: Any, shot: Any) -> None:
    ctl = open_page("/")
    viewer_url = ctl.page.evaluate("window.__lab.shareUrls().viewer")
    path = "/" + viewer_url.split("/", 3)[3]
    v = open_page(path)
    assert v.page.evaluate(f"{STATE}.role") == "viewer"
    assert v.page.locator("#banner-viewer").is_visible()
    assert v.page.is_disabled("#btn-play")
    assert v.page.is_disabled("#f-lr")
    ctl.page.click("#btn-play")
    v.page.wait_for_function(f"{STATE}.step > 500", timeout=20000)
    v.page.wait_for_function(f"{STATE}.running === true")
    set_range(ctl, "#f-lr", 12)  # 0.01
    v.page.wait_for_function(f"{STATE}.config.lr === 0.01")
    v.page.wait_for_function("document.querySelector('#f-lr').value === '12'")
    shot(v.page, "viewer")
    ctl.page.click("#btn-play")
    v.page.wait_for_function(f"{STATE}.running === false")
    assert v.errors == []


def test_divergence_shows_the_message_in_plain_words(open_page: Any, shot: Any) -> None:
    w = open_page(config_hash({"data": "plane", "optimizer": "sgd", "lr": 10}))
    w.page.click("#btn-play")
    w.page.wait_for_selector("#banner-diverged:not([hidden])", timeout=20000)
    text = w.page.inner_text("#banner-diverged")
    assert "the loss became infinite" in text.lower() or "the loss became nan" in text.lower()
    assert "learning rate 10 is too large" in text
    step = w.page.evaluate(f"{STATE}.diverged.step")
    assert f"at step {step}" in text
    assert w.page.get_attribute("#btn-play", "aria-pressed") == "false"
    shot(w.page, "diverged")
    w.page.select_option("#lang", "ja")
    assert "学習率 10 が大きすぎます" in w.page.inner_text("#banner-diverged")


def test_a_dropped_connection_recovers_and_keeps_the_history(open_page: Any, shot: Any) -> None:
    w = open_page("/")
    w.page.click("#btn-play")
    wait_steps(w, 300)
    before = w.page.evaluate(f"{STATE}.history.length")
    w.page.evaluate("window.__lab.dropConnection()")
    w.page.wait_for_selector("#banner-conn:not([hidden])")
    lost = w.page.inner_text("#banner-conn")
    assert "lost" in lost
    w.page.wait_for_function(f"{STATE}.recoveries >= 1", timeout=20000)
    assert "Connected again" in w.page.inner_text("#banner-conn")
    step = step_of(w)
    wait_steps(w, step + 200)
    assert w.page.evaluate(f"{STATE}.history.length") >= before
    shot(w.page, "reconnected")
    w.page.click("#btn-play")


def test_a_shared_link_reproduces_the_configuration(open_page: Any, api: Any) -> None:
    w = open_page("/")
    w.page.select_option("#f-activation", "relu")  # nothing trained yet: applies at once
    w.page.wait_for_function(f"{STATE}.config.activation === 'relu'")
    share = w.page.evaluate("window.__lab.shareUrls().share")
    other = open_page("/" + share.split("/", 3)[3])
    assert other.page.evaluate(f"{STATE}.sessionId") != sid(w)
    assert api(other.page.evaluate(f"{STATE}.sessionId"))["config"] == api(sid(w))["config"]
    assert other.page.input_value("#f-activation") == "relu"


def test_a_rebuilding_change_asks_first(open_page: Any) -> None:
    w = open_page("/")
    w.page.click("#btn-step")
    w.page.wait_for_function(f"{STATE}.step >= 1")
    w.page.select_option("#f-activation", "relu")
    assert w.page.locator("#rebuild-confirm").is_visible()
    assert "new network" in w.page.inner_text("#rebuild-text")
    w.page.click("#rebuild-cancel")
    assert w.page.input_value("#f-activation") == "tanh", "cancel puts the control back"
    assert w.page.evaluate(f"{STATE}.config.activation") == "tanh"
    w.page.select_option("#f-activation", "relu")
    w.page.click("#rebuild-apply")
    w.page.wait_for_function(f"{STATE}.config.activation === 'relu' && {STATE}.step === 0")


def test_a_validation_error_shows_next_to_its_control(open_page: Any) -> None:
    w = open_page("/")
    w.page.fill("#f-samples", "3")
    w.page.dispatch_event("#f-samples", "change")
    slot = w.page.locator("[data-error-for='samples']")
    slot.wait_for(state="visible")
    assert "samples" in slot.inner_text() and "3" in slot.inner_text()
    assert w.page.input_value("#f-samples") == "500", "the value in force is shown again"


def test_the_inspector_shows_z_for_a_neuron_and_edits_a_weight(open_page: Any, api: Any) -> None:
    w = open_page("/")
    w.page.click("#btn-step")
    w.page.wait_for_function(f"{STATE}.step >= 1")
    box = w.page.evaluate("""() => { const v = document.querySelector('#network');
        const r = v.getBoundingClientRect(); return [r.left, r.top]; }""")
    pos = w.page.evaluate("window.__lab.nodeCentre(1, 0)")
    w.page.mouse.click(box[0] + pos[0], box[1] + pos[1])
    body = w.page.locator("#inspector-body")
    body.get_by_text("z = W·x + b").wait_for()
    assert "dL/db" in body.inner_text()
    epos = w.page.evaluate("window.__lab.edgeMidpoint(0, 0, 0)")
    w.page.mouse.click(box[0] + epos[0], box[1] + epos[1])
    w.page.locator("#insp-value").wait_for()
    w.page.fill("#insp-value", "1.5")
    w.page.click(".insp-form button[type=submit]")
    w.page.wait_for_function(f"Math.abs({STATE}.frame.arrays.W0[0] - 1.5) < 1e-6")


def test_presenter_mode_and_its_shortcuts(open_page: Any, shot: Any) -> None:
    w = open_page("/")
    w.page.click("h1")
    w.page.keyboard.press("p")
    assert w.page.evaluate("document.body.classList.contains('presenter')")
    assert w.page.locator("#controls").is_hidden(), "side panels are hidden"
    w.page.keyboard.press("ArrowRight")
    w.page.wait_for_function(f"{STATE}.step === 1")
    w.page.keyboard.press(" ")
    w.page.wait_for_function(f"{STATE}.running && {STATE}.step > 300")
    shot(w.page, "presenter")
    w.page.keyboard.press(" ")
    w.page.wait_for_function(f"!{STATE}.running")
    w.page.keyboard.press("r")
    w.page.wait_for_function(f"{STATE}.step === 0")
    w.page.keyboard.press("?")
    assert w.page.locator("#help").is_visible()
    assert "Space" in w.page.inner_text("#help")
