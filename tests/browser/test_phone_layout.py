"""Phones and tablets, portrait and landscape: nothing wider than the screen, the network, the
output plot and the current loss and accuracy never covered nor on top of each other, readable
charts, a viewer without controls, and the control page's drawer with the learning controls one
tap away. Screenshots go to test-artifacts/phone-*.png."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE = "window.__lab.state"
SIZES = [(390, 844), (844, 390), (768, 1024), (1024, 768)]
LEARNING = ["#f-optimizer", "#f-lr", "#f-batch", "#f-dropout"]
# the boxes a class must always see: the network, the output plot, the loss and accuracy numbers
WATCHED = {"network": "#network", "output": "#surface", "metrics": ".counters",
           "loss": "#chart-loss", "accuracy": "#chart-acc"}

WIDER_THAN_SCREEN = """() => {
  const out = [], W = document.documentElement.clientWidth;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('[hidden]') || el.classList.contains('skip')) continue;
    if (r.left < -0.5 || r.right > W + 0.5)
      out.push(`${el.tagName}#${el.id}.${el.className} ${r.left | 0}..${r.right | 0}`);
  }
  return {W, scroll: document.documentElement.scrollWidth, out: out.slice(0, 10)};
}"""

# the element at each box's centre (scrolled into view) is the box itself: nothing covers it
COVERED = """(sel) => {
  const el = document.querySelector(sel);
  el.scrollIntoView({block: 'center'});
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === el || el.contains(hit) ? null : `${hit?.tagName}#${hit?.id}.${hit?.className}`;
}"""


def boxes(w: Any) -> dict[str, dict[str, float]]:
    out = {}
    for name, sel in WATCHED.items():
        out[name] = w.page.eval_on_selector(sel, """el => { const r = el.getBoundingClientRect();
            return {left: r.left, right: r.right, top: r.top + scrollY, bottom: r.bottom + scrollY,
                    width: r.width, height: r.height}; }""")
    return out


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5 and \
        a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5


def check_layout(w: Any, width: int) -> None:
    wide = w.page.evaluate(WIDER_THAN_SCREEN)
    assert wide["scroll"] <= wide["W"], f"the page scrolls sideways: {wide}"
    assert not wide["out"], f"wider than the {width} px screen: {wide['out']}"
    b = boxes(w)
    names = list(b)
    for i, n in enumerate(names):
        assert b[n]["width"] > 0 and b[n]["height"] > 0, f"{n} is not shown"
        for m in names[i + 1:]:
            assert not overlap(b[n], b[m]), f"{n} and {m} overlap: {b[n]} {b[m]}"
    for chart in ("loss", "accuracy"):
        assert b[chart]["width"] >= 200, f"the {chart} chart is {b[chart]['width']} px wide"
    for name, sel in WATCHED.items():
        hit = w.page.evaluate(COVERED, sel)
        assert hit is None, f"{name} is covered by {hit}"
    w.page.evaluate("window.scrollTo(0, 0)")


def train(w: Any, steps: int) -> None:
    w.page.click("#btn-play")
    w.page.wait_for_function(f"{STATE}.step >= {steps}", timeout=30000)
    w.page.click("#btn-play")
    w.page.wait_for_function(f"!{STATE}.running")


def tick_labels_apart(w: Any) -> None:
    w.page.wait_for_function("(window.__lab.chartTicks().loss || []).length > 1")
    for name, labels in w.page.evaluate("window.__lab.chartTicks()").items():
        for a, b in zip(labels or [], (labels or [])[1:], strict=False):
            assert a["left"] + a["width"] <= b["left"], f"{name} tick labels overlap: {a} {b}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_control_page_fits_and_its_drawer_opens_in_one_tap(open_page: Any, shot: Any,
                                                               size: tuple[int, int]) -> None:
    width, height = size
    w = open_page("/", width=width, height=height)
    train(w, 120)
    tick_labels_apart(w)
    if width < 1024:
        assert not w.page.is_visible("#controls"), "the controls start closed on a narrow screen"
    check_layout(w, width)
    shot(w.page, f"phone-control-{width}x{height}")
    if width < 1024:
        w.page.click("#btn-controls")  # one tap
        assert w.page.get_attribute("#btn-controls", "aria-expanded") == "true"
    for sel in LEARNING:
        b = w.page.eval_on_selector(sel, """el => { const r = el.getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom]; }""")
        assert b[0] >= 0 and b[2] <= width and b[1] >= 0 and b[3] <= height, f"{sel} off: {b}"
    shot(w.page, f"phone-control-{width}x{height}-drawer")
    if width < 1024:
        set_lr = """el => { el.value = '20';
            el.dispatchEvent(new Event('input', {bubbles: true}));
            el.dispatchEvent(new Event('change', {bubbles: true})); }"""
        w.page.eval_on_selector("#f-lr", set_lr)
        w.page.wait_for_function(f"{STATE}.config.lr !== 0.03")
        w.page.keyboard.press("Escape")
        assert not w.page.is_visible("#controls")
    assert not w.errors, w.errors


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_viewer_page_fits_a_phone_and_a_tablet(open_page: Any, shot: Any,
                                                   size: tuple[int, int]) -> None:
    width, height = size
    ctl = open_page("/", width=1366, height=768)
    train(ctl, 120)
    viewer_url = ctl.page.evaluate("window.__lab.shareUrls().viewer")
    v = open_page("/" + viewer_url.split("/", 3)[3], width=width, height=height)
    assert v.page.evaluate(f"{STATE}.role") == "viewer"
    v.page.wait_for_function(f"{STATE}.step >= 120")
    tick_labels_apart(v)
    assert not v.page.is_visible("#controls"), "a viewer has no controls on a phone or tablet"
    assert not v.page.is_visible("#btn-controls")
    check_layout(v, width)
    shot(v.page, f"phone-viewer-{width}x{height}")
    # presenter mode, as a viewer following the teacher sees it, fits too
    if not v.page.is_visible("#btn-presenter"):
        v.page.click("#btn-tools")  # on a narrow screen the top bar's tools are one tap away
    v.page.click("#btn-presenter")
    v.page.wait_for_function("document.body.classList.contains('presenter')")
    v.page.wait_for_timeout(200)
    check_layout(v, width)
    shot(v.page, f"phone-viewer-presenter-{width}x{height}")
    assert not v.errors, v.errors
