"""Fine-tuning in a real browser against a real server: load a zoo model, give it a new task,
freeze its hidden layers, train, compare with training from scratch, draw on the pad; and bad
input answered at the control that caused it."""

from __future__ import annotations

import json
import math
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE = "window.__lab.state"


def open_finetune(w: Any) -> None:
    """The fine-tuning panel is closed on a 2-D run: open it from the header."""
    if w.page.locator("#finetune").is_hidden():
        w.page.click("#btn-finetune")
    w.page.wait_for_selector("#finetune", state="visible")


def load_model(w: Any, name: str) -> None:
    open_finetune(w)
    w.page.locator(f'#ft-models li[data-model="{name}"] button[data-load]').click()
    w.page.wait_for_function(f"{STATE}.config.model === '{name}' && {STATE}.step === 0")


def set_range(w: Any, selector: str, value: float) -> None:
    w.page.eval_on_selector(selector, """(el, v) => { el.value = String(v);
        el.dispatchEvent(new Event('input', {bubbles: true}));
        el.dispatchEvent(new Event('change', {bubbles: true})); }""", value)


def draw(w: Any, points: list[tuple[float, float]]) -> None:
    """One mouse stroke on the pad through points given in 0..1 of its size."""
    pad = w.page.locator("#dp-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    xy = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    w.page.mouse.move(*xy[0])
    w.page.mouse.down()
    for p in xy[1:]:
        w.page.mouse.move(*p, steps=3)
    w.page.mouse.up()


def ellipse(n: int = 24) -> list[tuple[float, float]]:
    """A zero: an upright ellipse in the middle of the pad."""
    return [(0.5 + 0.22 * math.sin(2 * math.pi * k / n), 0.5 - 0.38 * math.cos(2 * math.pi * k / n))
            for k in range(n + 1)]


def weights_sum(w: Any, name: str) -> float:
    js = f"Array.from({STATE}.frame.arrays.{name}).reduce((a, b) => a + b, 0)"
    return float(w.page.evaluate(js))


def test_finetune_even_odd_frozen_then_compare_with_scratch_and_draw(open_page: Any,
                                                                     shot: Any) -> None:
    w = open_page("/")
    page = w.page
    open_finetune(w)
    page.wait_for_selector('#ft-models li[data-model="digits-all"]')
    acc = page.get_attribute('#ft-models li[data-model="digits-all"] dd[data-acc]', "data-acc")
    assert acc and 0.5 < float(acc) <= 1, "the zoo lists the model's test accuracy"
    load_model(w, "digits-all")
    page.wait_for_function(f"{STATE}.info.sizes.join() === '64,64,32,10'")
    page.wait_for_function("document.querySelector('#ft-loaded').dataset.acc !== ''")
    own = float(page.get_attribute("#ft-loaded", "data-acc") or "nan")
    assert own > 0.8, f"the loaded model is accurate on its own task (half b): {own}"

    # new task: even or odd, 10 examples per class; the head is replaced
    page.check('input[name="ft-task"][value="even_odd"]')
    set_range(w, "#ft-per-class", 10)
    assert page.inner_text("#ft-o-per-class") == "10"
    page.click("#ft-apply-task")
    page.wait_for_function(f"{STATE}.config.digits_task === 'even_odd' && "
                           f"{STATE}.config.train_per_class === 10 && {STATE}.info.classes === 2")
    assert page.get_attribute("#ft-head", "data-replaced") == "true"
    assert "10" in page.inner_text("#ft-head .ft-head-old")
    assert page.evaluate(f"{STATE}.info.train_size") == 20

    # freeze the hidden layers: the locks, the trainable count, the network view
    page.click("#ft-freeze-hidden")
    page.wait_for_function(f"JSON.stringify({STATE}.info.frozen) === '[0,1]'")
    locks = page.locator("#ft-layers button[data-layer]")
    assert [locks.nth(i).get_attribute("aria-pressed") for i in range(3)] == ["true", "true",
                                                                                "false"]
    out = page.evaluate(f"{STATE}.info.sizes")[-1]
    assert page.get_attribute("#ft-trainable", "data-trainable") == str(32 * out + out)
    page.wait_for_function("document.querySelector('#network').dataset.frozen === '0,1'")
    w0 = weights_sum(w, "W0")

    # train
    page.click("#btn-play")
    page.wait_for_function(f"{STATE}.step >= 300", timeout=30000)
    page.click("#btn-play")
    page.wait_for_function(f"!{STATE}.running")
    page.wait_for_timeout(300)
    assert weights_sum(w, "W0") == w0, "a frozen layer's weights do not move"
    updates = page.get_attribute("#network", "data-updates") or ""
    ratios = [float(v) for v in updates.split(",")]
    assert ratios[0] == 0 and ratios[1] == 0 and ratios[2] > 0, updates
    shot(page, "finetune-trained")

    # compare with training from scratch: one click, two runners on the same examples
    page.fill("#ft-steps", "300")
    page.click("#ft-compare-start")
    done = ("[0, 1].every((k) => { const r = document.querySelector("
            "`#ft-results tr[data-runner=\"${k}\"]`); return r && Number(r.dataset.step) >= 300"
            " && r.dataset.testAcc !== ''; })")
    page.wait_for_function(done, timeout=60000)
    tuned = float(page.get_attribute('#ft-results tr[data-runner="0"]', "data-test-acc") or "nan")
    scratch = float(page.get_attribute('#ft-results tr[data-runner="1"]', "data-test-acc") or "nan")
    assert 0 <= tuned <= 1 and 0 <= scratch <= 1
    shown = page.inner_text('#ft-results tr[data-runner="0"] td.acc')
    assert shown.endswith("%") and abs(float(shown.rstrip(" %")) / 100 - tuned) < 0.001
    assert page.inner_text("#ft-verdict").strip(), "the page says which way it went"
    page.locator("#ft-compare-card").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    shot(page, "finetune-compare")

    # draw a zero on the pad: a prediction and every layer's activations, live
    draw(w, ellipse())
    page.wait_for_function("document.querySelector('#dp-pred').dataset.cls !== ''",
                           timeout=10000)
    names = page.evaluate(f"{STATE}.info.class_names")
    assert page.get_attribute("#dp-pred", "data-cls") in names
    page.wait_for_timeout(200)
    shot(page, "finetune-drawpad")
    assert w.errors == []


def test_bad_input_is_answered_at_its_control_and_the_model_kept(open_page: Any, shot: Any,
                                                                 tmp_path: Path) -> None:
    w = open_page("/")
    page = w.page
    open_finetune(w)
    page.wait_for_selector('#ft-models li[data-model="digits-all"]')
    load_model(w, "digits-all")
    page.wait_for_function(f"{STATE}.info.sizes.join() === '64,64,32,10'")

    # freezing every layer: nothing left to train
    for i in range(2):
        page.locator(f'#ft-layers button[data-layer="{i}"]').click()
        page.wait_for_function(f"({STATE}.info.frozen || []).includes({i})")
    page.locator('#ft-layers button[data-layer="2"]').click()
    err = page.locator('[data-ft-error="freeze"]')
    err.wait_for(state="visible")
    assert "nothing left to train" in err.inner_text()
    assert page.evaluate(f"{STATE}.info.frozen") == [0, 1]
    assert page.get_attribute('#ft-layers button[data-layer="2"]', "aria-pressed") == "false"

    # a group with no digits is a class with no examples
    page.check('input[name="ft-task"][value="groups"]')
    for d in (0, 2, 4, 6, 8):  # even digits A → B → C; odd ones stay in B: A is empty
        page.locator(f'#ft-group-buttons button[data-digit="{d}"]').click()
        page.locator(f'#ft-group-buttons button[data-digit="{d}"]').click()
    page.click("#ft-apply-task")
    task_err = page.locator('[data-ft-error="task"]')
    task_err.wait_for(state="visible")
    assert "Group A has no digits" in task_err.inner_text()

    # a CSV file whose width does not match the model's 64 inputs
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,label\n0.1,0.2,a\n0.3,0.1,b\n0.5,0.9,a\n", encoding="utf-8")
    page.check('input[name="ft-task"][value="csv"]')
    page.set_input_files("#ft-csv-file", str(csv))
    page.click("#ft-apply-task")
    task_err.wait_for(state="visible")
    assert "2 input columns" in task_err.inner_text() and "64" in task_err.inner_text()

    # a model file that is not safetensors
    bad = tmp_path / "notes.safetensors"
    bad.write_bytes(b"this is not a model")
    page.set_input_files("#ft-model-file", str(bad))
    file_err = page.locator('[data-ft-error="model_file"]')
    file_err.wait_for(state="visible")
    assert "safetensors" in file_err.inner_text()
    page.wait_for_timeout(300)
    assert page.evaluate(f"{STATE}.config.model") == "digits-all", "the loaded model is kept"
    assert page.evaluate(f"{STATE}.info.sizes") == [64, 64, 32, 10]
    page.locator("#finetune").scroll_into_view_if_needed()
    shot(page, "finetune-bad-input")
    assert [e for e in w.errors if "422" not in e] == []


def test_drawn_letters_become_a_data_set_to_fine_tune_on(open_page: Any, shot: Any) -> None:
    w = open_page("/")
    page = w.page
    page.evaluate("localStorage.removeItem('drawings')")
    open_finetune(w)
    page.wait_for_selector('#ft-models li[data-model="digits-all"]')
    load_model(w, "digits-all")
    strokes = {
        "L": [(0.35, 0.1), (0.35, 0.9), (0.7, 0.9)],
        "V": [(0.25, 0.1), (0.5, 0.9), (0.75, 0.1)],
        "Z": [(0.25, 0.1), (0.75, 0.1), (0.25, 0.9), (0.75, 0.9)],
    }
    page.check('input[name="ft-task"][value="draw"]')
    page.click("#ft-apply-task")  # nothing drawn yet
    task_err = page.locator('[data-ft-error="task"]')
    task_err.wait_for(state="visible")
    assert "two different things" in task_err.inner_text()
    for label, pts in strokes.items():
        for k in range(3):
            jitter = [(x + 0.03 * k, y) for x, y in pts]
            draw(w, jitter)
            page.fill("#dp-label", label)
            page.click("#dp-add")
    assert page.get_attribute("#dp-counts", "data-count") == "9"
    page.click("#ft-apply-task")
    page.wait_for_function(f"{STATE}.config.data === 'csv' && {STATE}.info.classes === 3")
    assert page.evaluate(f"{STATE}.info.class_names") == ["L", "V", "Z"]
    assert page.evaluate(f"{STATE}.config.model") == "digits-all"
    assert page.get_attribute("#ft-head", "data-replaced") == "true"
    page.locator("#ft-task-card").scroll_into_view_if_needed()
    shot(page, "finetune-drawn-letters")
    assert w.errors == []


def test_the_finetuning_panel_opens_from_the_header_and_by_itself_for_digits(
        open_page: Any) -> None:
    w = open_page("/")
    page = w.page
    page.wait_for_function(f"{STATE}.info !== null && {STATE}.info !== undefined")
    assert page.locator("#finetune").is_hidden(), "closed on the default 2-D run"
    page.click("#btn-finetune")
    assert page.locator("#finetune").is_visible()
    assert page.get_attribute("#btn-finetune", "aria-pressed") == "true"
    page.click("#btn-finetune")
    assert page.locator("#finetune").is_hidden()
    load_model(w, "digits-all")
    assert page.locator("#finetune").is_visible()


def test_in_japanese_from_the_start_with_the_engines_class_names_translated(
        open_page: Any, shot: Any) -> None:
    """Opened in Japanese: the task note, the drawings' count and the comparison charts' axis
    are Japanese without touching the language menu; even/odd read 偶数/奇数 in the head, and
    the digits grid makes room for them."""
    w = open_page("/", lang="ja-JP")
    page = w.page
    page.evaluate("localStorage.removeItem('drawings')")
    load_model(w, "digits-all")
    assert page.inner_text("#ft-task-note").startswith("2クラス"), page.inner_text("#ft-task-note")
    assert page.inner_text("#dp-counts") == "まだ何も描いていません。"
    assert page.evaluate("window.__lab.compareAxis()") == "ステップ"
    page.check('input[name="ft-task"][value="even_odd"]')
    page.click("#ft-apply-task")
    page.wait_for_function(f"{STATE}.info.classes === 2")
    head = page.inner_text("#ft-head .ft-head-new")
    assert "偶数, 奇数" in head and "1 個" in head, head
    assert page.evaluate(f"{STATE}.info.class_names") == ["even", "odd"], "the server's names"
    page.wait_for_function("Number(document.querySelector('#digits').dataset.cell) > 54")
    page.locator("#digits-panel").scroll_into_view_if_needed()
    shot(page, "finetune-ja-even-odd")
    assert w.errors == []


def test_one_output_is_singular_and_a_model_of_the_wrong_width_is_refused_plainly(
        open_page: Any, server: str, tmp_path: Path) -> None:
    # a 2-input model file: the default spiral session's model
    req = urllib.request.Request(server + "/api/sessions", data=b'{"config": {}}',
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        sid = json.load(r)["id"]
    with urllib.request.urlopen(f"{server}/api/sessions/{sid}/model.safetensors",
                                timeout=10) as r:
        (tmp_path / "spiral.safetensors").write_bytes(r.read())
    w = open_page("/")
    page = w.page
    load_model(w, "digits-all")
    page.check('input[name="ft-task"][value="even_odd"]')
    page.click("#ft-apply-task")
    page.wait_for_function(f"{STATE}.info.classes === 2")
    assert "1 sigmoid output (even, odd)" in page.inner_text("#ft-head .ft-head-new")
    page.set_input_files("#ft-model-file", str(tmp_path / "spiral.safetensors"))
    err = page.locator('[data-ft-error="model_file"]')
    err.wait_for(state="visible")
    text = err.inner_text()
    assert text.startswith("This model takes 2 inputs, but this data set gives 64"), text
    assert "is not allowed" not in text and "'upload'" not in text, text
    assert [e for e in w.errors if "422" not in e] == []
