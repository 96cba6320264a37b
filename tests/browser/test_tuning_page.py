"""The tuning tools in the page: run the learning-rate finder and apply its suggestion; start a
small sweep from the session, watch its table fill, open a trial's run, use the best."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

SWEEP = {"params": {"lr": {"low": 0.003, "high": 0.3, "log": True},
                    "optimizer": ["sgd", "adam"]},
         "search": "random", "trials": 3, "epochs": 1, "seeds": [0, 1]}


def _show_tools(page: Any) -> None:
    if page.is_visible("#btn-tools"):
        page.click("#btn-tools")


def test_find_the_learning_rate_and_use_it(open_page: Any, api: Any, shot: Any) -> None:
    w = open_page("/")
    page = w.page
    _show_tools(page)
    page.click("#btn-lrfind")
    page.wait_for_selector("#lrfind-use:not([disabled])", timeout=20000)
    sid = page.evaluate("window.__lab.state.sessionId")
    label = page.text_content("#lrfind-use") or ""
    suggested = float(label.split("(")[1].rstrip(")"))
    assert suggested > 0
    shot(page, "tuning-lrfind")
    page.click("#lrfind-use")
    page.wait_for_function(f"window.__lab.state.config.lr === {suggested}", timeout=10000)
    assert api(sid)["config"]["lr"] == suggested  # the server's own run took it
    assert not w.errors, w.errors


def test_a_sweep_from_the_session_fills_its_table_and_its_best_is_used(
        open_page: Any, server: str, api: Any, shot: Any) -> None:
    w = open_page("/")
    sid = w.page.evaluate("window.__lab.state.sessionId")
    token = w.page.evaluate("window.__lab.state.token")
    page = w.page.context.new_page()
    page.goto(f"{server}/sweeps?session={sid}#token={token}")
    page.fill("#sw-spec", json.dumps(SWEEP))
    page.click("#sw-start")
    page.wait_for_function("document.querySelectorAll('#sw-table tbody tr').length >= 1",
                           timeout=30000)
    page.locator("#sw-state", has_text="complete").wait_for(timeout=60000)
    assert page.locator("#sw-table tbody tr").count() == 6
    assert "validation" in (page.text_content("#sw-by-val") or "")
    shot(page, "tuning-sweep")
    href = page.get_attribute("#sw-table tbody tr .sw-run", "href")
    assert href and href.startswith("/runs#run=")  # the runs page shows the trial's run
    with urllib.request.urlopen(f"{server}/api/runs/{href.split('=')[1]}", timeout=5) as r:
        run = json.load(r)
    assert "sweep" in run["kinds"]
    best = page.evaluate("fetch(location.pathname.replace('/sweeps', '') + '/api/sweeps/' + "
                         "document.querySelector('#sw-csv').href.split('/')[5])"
                         ".then(r => r.json()).then(v => v.best)")
    page.click("#sw-use-best")
    page.locator("#sw-use-note", has_text="sent").wait_for(timeout=10000)
    cfg = api(sid)["config"]
    assert cfg["lr"] == best["params"]["lr"] and cfg["optimizer"] == best["params"]["optimizer"]


def test_validation_metrics_show_beside_train_and_test(open_page: Any, server: str) -> None:
    req = urllib.request.Request(f"{server}/api/sessions", method="POST",
                                 data=json.dumps({"config": {"val_share": 0.2}}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        s = json.load(r)
    w = open_page(f"/s/{s['id']}#token={s['token']}")
    w.page.wait_for_selector("#m-val:not([hidden])", timeout=10000)
    text = w.page.text_content("#m-val-value") or ""
    assert "%" in text and text.split(" · ")[0] != "–"
    w2 = open_page("/")
    assert w2.page.is_hidden("#m-val")  # no validation split: nothing made up
