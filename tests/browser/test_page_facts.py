"""The page takes the engine's facts from the server, never from copies: its live fields are the
schema's, its menus offer the schema's choices, its input features are the engine's, and its
inputs' ranges are within the schema's."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def _get(server: str, path: str) -> Any:
    with urllib.request.urlopen(server + path, timeout=5) as r:
        return json.load(r)


def test_the_pages_live_and_data_fields_are_the_schemas(open_page: Any, server: str) -> None:
    schema = _get(server, "/api/schema")
    w = open_page("/")
    facts = w.page.evaluate("window.__lab.facts()")
    assert facts["live"] == sorted(f["name"] for f in schema if f["live"])
    assert facts["data"] == sorted(f["name"] for f in schema if f["rebuilds"] == "data")
    assert "lr" in facts["live"] and "layers" not in facts["live"]
    assert w.errors == []


def test_menus_features_and_ranges_follow_the_server(open_page: Any, server: str) -> None:
    schema = {f["name"]: f for f in _get(server, "/api/schema")}
    engine = _get(server, "/api/engine")
    w = open_page("/")
    menus = w.page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('#controls select[data-field]')]
        .map((s) => [s.dataset.field, [...s.options].map((o) => o.value)]))""")
    for field, values in menus.items():
        choices = schema[field]["choices"]
        assert set(values) <= set(choices), field
        # every choice, but an uploaded file's (chosen by uploading one)
        assert set(choices) - set(values) <= {"csv"}, field
    boxes = w.page.evaluate("""() => [...document.querySelectorAll('#controls .features label')]
        .map((l) => [l.querySelector('input').value, l.textContent.trim()])""")
    assert boxes == [[f["name"], f["label"]] for f in engine["features"]]
    ranges = w.page.evaluate("""() => [...document.querySelectorAll(
        '#controls input[data-field]:not([data-scale])')]
        .filter((i) => i.type === 'number' || i.type === 'range')
        .map((i) => [i.dataset.field, i.type, Number(i.min), Number(i.max)])""")
    assert ranges, "the inputs have ranges"
    for field, kind, lo, hi in ranges:
        f = schema[field]
        if "min" not in f:  # betas: a pair, each slider the page's own span
            continue
        if kind == "number":
            assert (lo, hi) == (f["min"], f["max"]), field
        else:
            assert f["min"] <= lo <= hi <= f["max"], field
    assert w.errors == []
