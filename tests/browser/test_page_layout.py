"""The page's drawing and wording at classroom sizes and languages: class colours, presenter
mode on projector resolutions, network labels that never overlap, the gradient chart, the
learning-rate slider, commands while disconnected, keyboard picking and the rebuild messages."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE = "window.__lab.state"


def config_hash(cfg: dict[str, Any]) -> str:
    return "/#config=" + urllib.parse.quote(json.dumps(cfg))


def set_range(w: Any, selector: str, value: float) -> None:
    """Move a slider as a user would end a drag: value, input, change."""
    w.page.eval_on_selector(selector, """(el, v) => { el.value = String(v);
        el.dispatchEvent(new Event('input', {bubbles: true}));
        el.dispatchEvent(new Event('change', {bubbles: true})); }""", value)


def train(w: Any, steps: int) -> None:
    w.page.click("#btn-play")
    w.page.wait_for_function(f"{STATE}.step >= {steps}", timeout=30000)
    w.page.click("#btn-play")
    w.page.wait_for_function(f"!{STATE}.running")


def box(w: Any, selector: str) -> dict[str, float]:
    return w.page.eval_on_selector(selector, """el => { const r = el.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                width: r.width, height: r.height}; }""")


def test_blobs_with_four_classes_draw_four_point_colours(open_page: Any, shot: Any) -> None:
    w = open_page(config_hash({"data": "blobs", "classes": 4}))
    w.page.wait_for_function("document.querySelector('#surface').dataset.pointColours")
    assert w.page.evaluate(f"{STATE}.info.classes") == 4
    assert w.page.get_attribute("#surface", "data-point-colours") == "4"
    shot(w.page, "blobs-4-classes")


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720), (1920, 1080)])
def test_presenter_mode_fits_one_projected_screen(open_page: Any, shot: Any,
                                                  size: tuple[int, int]) -> None:
    width, height = size
    w = open_page("/", width=width, height=height)
    train(w, 50)
    w.page.click("h1")
    w.page.keyboard.press("p")
    w.page.wait_for_timeout(300)
    net, surface = box(w, "#network"), box(w, "#surface")
    loss, acc = box(w, "#chart-loss"), box(w, "#chart-acc")
    assert surface["left"] >= net["right"], "network and output side by side"
    assert surface["top"] < net["bottom"]
    for name, b in (("network", net), ("loss", loss), ("accuracy", acc)):
        assert b["bottom"] <= height, f"the {name} chart is below the fold at {size}"
        assert b["height"] >= 90, f"the {name} view is too small to read at {size}: {b}"
    sizes = w.page.evaluate("""() => ({
        h2: parseFloat(getComputedStyle(document.querySelector('.panel.center h2')).fontSize),
        label: parseFloat(getComputedStyle(document.querySelector('#toggle-grad').closest('label'))
          .fontSize)})""")
    assert sizes["h2"] > sizes["label"], sizes
    shot(w.page, f"presenter-{width}x{height}")


@pytest.mark.parametrize("presenter", [False, True])
def test_network_labels_never_overlap_on_an_eight_layer_net(open_page: Any, shot: Any,
                                                            presenter: bool) -> None:
    cfg = {"layers": [6] * 8, "features": ["x1", "x2", "sin_x1", "sin_x2"], "freeze": [7]}
    w = open_page(config_hash(cfg), width=1280, height=720)
    train(w, 20)
    if presenter:
        w.page.click("h1")
        w.page.keyboard.press("p")
    w.page.wait_for_timeout(400)
    labels = w.page.evaluate("window.__lab.networkLabels()")
    titles = sorted(labels["titles"], key=lambda b: b["x0"])
    assert len(titles) == 10
    for a, b in zip(titles, titles[1:], strict=False):
        assert a["x1"] + 4 <= b["x0"], f"layer titles overlap or touch: {a} {b}"
    updates = sorted(labels["updates"], key=lambda b: b["x0"])
    for a, b in zip(updates, updates[1:], strict=False):
        assert a["x1"] + 4 <= b["x0"], f"update labels overlap or touch: {a} {b}"
    assert labels["inputLeft"] >= 0, "input names stay inside the canvas"
    assert labels["frozen"], "the frozen layer is marked"
    for f in labels["frozen"]:
        assert f["bottom"] <= labels["height"], "the frozen label stays inside the canvas"
    shot(w.page, f"network-8-layers{'-presenter' if presenter else ''}")


def test_new_data_brings_output_and_loss_back_to_automatic(open_page: Any) -> None:
    w = open_page(config_hash({"output": "sigmoid", "loss": "cross_entropy"}))
    w.page.click("#btn-step")
    w.page.wait_for_function(f"{STATE}.step >= 1")
    w.page.select_option("#f-data", "blobs")
    text = w.page.inner_text("#rebuild-text")
    assert "Automatic" in text and "Data set" in text, text
    w.page.click("#rebuild-apply")
    w.page.wait_for_function(f"{STATE}.config.data === 'blobs'")
    assert w.page.evaluate(f"{STATE}.config.output") == "auto"
    assert w.page.locator("[data-error-for='output']").is_hidden()
    assert w.page.input_value("#f-data") == "blobs"
    # plane is a regression set: softmax does not suit it either
    w.page.select_option("#f-output", "softmax")
    if w.page.locator("#rebuild-confirm").is_visible():
        w.page.click("#rebuild-apply")
    w.page.wait_for_function(f"{STATE}.config.output === 'softmax'")
    w.page.select_option("#f-data", "plane")
    if w.page.locator("#rebuild-confirm").is_visible():
        w.page.click("#rebuild-apply")
    w.page.wait_for_function(f"{STATE}.config.data === 'plane' && {STATE}.config.output === 'auto'")


def test_japanese_axis_labels_errors_and_refusals(open_page: Any, shot: Any) -> None:
    w = open_page(config_hash({"data": "plane", "optimizer": "sgd", "lr": 10}), lang="ja-JP")
    w.page.wait_for_function("window.__lab.gradChart().xLabel === 'ステップ'")
    w.page.fill("#f-wd", "-1")
    w.page.dispatch_event("#f-wd", "change")
    slot = w.page.locator("[data-error-for='weight_decay']")
    slot.wait_for(state="visible")
    label = w.page.inner_text("label[for='f-wd']").strip()
    assert slot.inner_text().startswith(label), slot.inner_text()
    assert "weight_decay" not in slot.inner_text()
    w.page.click("#btn-play")
    w.page.wait_for_selector("#banner-diverged:not([hidden])", timeout=20000)
    w.page.click("#btn-step")
    toast = w.page.locator(".toast.error").last
    toast.wait_for()
    assert "発散" in toast.inner_text()
    assert "diverged" not in toast.inner_text(), "the page's own words, not the server's English"
    shot(w.page, "ja-refused-after-divergence")


def test_gradient_chart_ticks_fit_and_its_tooltip_stays_inside(open_page: Any, shot: Any) -> None:
    w = open_page(config_hash({"layers": [8, 8, 8, 8, 8], "activation": "sigmoid"}))
    train(w, 300)
    w.page.wait_for_timeout(300)
    w.page.locator("#chart-grad").scroll_into_view_if_needed()
    chart = box(w, "#chart-grad")
    assert chart["height"] >= 200
    info = w.page.evaluate("window.__lab.gradChart().layout")
    room = info["y0"] - info["y1"]
    assert info["ticks"] <= room / 20 + 1, info
    w.page.mouse.move(chart["left"] + chart["width"] * 0.6, chart["bottom"] - 30)
    w.page.wait_for_function("window.__lab.gradChart().tooltip !== null")
    tip = w.page.evaluate("window.__lab.gradChart().tooltip")
    assert tip["y"] >= 0 and tip["y"] + tip["h"] <= chart["height"], tip
    assert tip["x"] >= 0 and tip["x"] + tip["w"] <= chart["width"], tip
    shot(w.page, "grad-chart-hover")


def test_learning_rate_readout_and_slider_stops(open_page: Any) -> None:
    w = open_page(config_hash({"lr": 0.03}))
    assert w.page.inner_text("#o-lr") == "0.03"
    stops = w.page.evaluate("document.querySelector('#f-lr').stops")
    assert 0.03 in stops and 0.003 in stops
    assert stops[int(w.page.input_value("#f-lr"))] == 0.03
    set_range(w, "#f-lr", stops.index(0.003))
    w.page.wait_for_function(f"{STATE}.config.lr === 0.003")
    assert w.page.inner_text("#o-lr") == "0.003"


def test_controls_are_disabled_while_disconnected(open_page: Any) -> None:
    w = open_page("/")
    # the next connections fail until the test lets them through again
    w.page.evaluate("""() => { window.__RealWS = window.WebSocket;
        window.WebSocket = class extends window.__RealWS {
          constructor(url) { super(window.__blockWS ? 'ws://127.0.0.1:9/' : url); } };
        window.__blockWS = true; window.__lab.dropConnection(); }""")
    w.page.wait_for_function("document.querySelector('#controls-fieldset').disabled")
    assert w.page.is_disabled("#btn-play") and w.page.is_disabled("#btn-step")
    w.page.click("h1")
    w.page.keyboard.press("ArrowRight")  # the shortcut still tries: it is told, not dropped
    toast = w.page.locator(".toast.error")
    toast.wait_for()
    assert "not sent" in toast.inner_text()
    w.page.evaluate("window.__blockWS = false")
    w.page.wait_for_function("!document.querySelector('#controls-fieldset').disabled",
                             timeout=20000)
    assert not w.page.is_disabled("#btn-step")


def test_keyboard_picks_points_and_wording(open_page: Any) -> None:
    w = open_page("/")
    assert w.page.get_attribute("#btn-help", "aria-label") == "Keyboard shortcuts"
    w.page.focus("#surface")
    for _ in range(3):
        w.page.keyboard.press("ArrowRight")
    w.page.keyboard.press("Enter")
    assert w.page.evaluate("window.__lab.pickedPoint()") == {"split": "train", "index": 2}
    assert w.page.evaluate(f"{STATE}.step") == 0, "the arrows moved the cursor, not training"
    # +/- pressed again and again: one "new network" toast, not a stack of them
    for _ in range(4):
        w.page.click("button[data-layers='add-unit'][data-index='0']")
        w.page.wait_for_timeout(150)
    w.page.wait_for_function(f"{STATE}.config.layers[0] === 12")
    w.page.wait_for_timeout(300)
    assert w.page.locator(".toast", has_text="New network").count() == 1
    w.page.click("#btn-step")
    w.page.wait_for_function(f"{STATE}.step >= 1")
    w.page.click("#btn-regenerate")
    text = w.page.inner_text("#rebuild-text")
    assert text.startswith("“Regenerate data” draws new data"), text
    w.page.click("#rebuild-cancel")
    # neurons count from 1 in the inspector, as layers do
    r = box(w, "#network")
    pos = w.page.evaluate("window.__lab.nodeCentre(1, 0)")
    w.page.mouse.click(r["left"] + pos[0], r["top"] + pos[1])
    heading = w.page.locator("#inspector-body h3").first
    heading.wait_for()
    assert heading.inner_text().endswith("neuron 1"), heading.inner_text()


def test_digits_are_chosen_with_the_keyboard(open_page: Any) -> None:
    w = open_page(config_hash({"data": "digits", "layers": [16]}))
    w.page.wait_for_function("document.querySelector('#digits').dataset.shown > 0")
    w.page.focus("#digits")
    w.page.keyboard.press("ArrowRight")
    w.page.keyboard.press("ArrowRight")
    w.page.keyboard.press("Enter")
    assert w.page.evaluate("window.__lab.pickedPoint()") == {"split": "test", "index": 1}
    assert w.page.evaluate(f"{STATE}.step") == 0
