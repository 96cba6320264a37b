"""Every number the step walkthrough shows equals the engine's, to the digits shown.

The engine's numbers come through the websocket API the page uses: `phase` events (and the
binary frame's weights for the first forward pass, as the page reads them). The page's own
module, static/js/walkthrough-math.js, is run by Node on those events, exactly as the page runs
it, and every number it puts on screen (each MathML number carries data-k, what it is) is
checked against the engine's value: |shown − engine| ≤ half a unit of the last digit shown.
SGD, SGD with momentum (and Nesterov), Adam and AdamW, each with and without dropout; two
whole steps, so the optimizer state of a previous step shows too.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_helpers import Reader, create
from fastapi.testclient import TestClient

from engine.activations import get_activation

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

def run_page_module(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Node runs walkthrough-math.js as the page does; returns, per (event, choice), the shown
    numbers [{"k": key, "text": shown text}]."""
    script = """
import { readFileSync } from "node:fs";
import { StepEvents, phaseView, clampChoice } from "./static/js/walkthrough-math.js";
const input = JSON.parse(readFileSync(0, "utf8"));
const events = new StepEvents();
const out = [];
for (const ev of input.events) {
  events.add(ev);
  for (const c of input.choices) {
    const choice = clampChoice(c, input.sizes, ev.batch);
    const i = choice.layer;
    const fw = input.frame_weights[String(events.step)]?.[i] ?? null;
    const ctx = {
      activation: input.activation, weights: events.startWeights(i) ?? fw,
      forward: events.byPhase.forward ?? null, prev: events.prevUpdate, l1: 0, l2: input.l2,
    };
    const view = phaseView(ev, choice, ctx);
    const html = view.lines.map((l) => l.math).join("");
    const nums = [];
    // a plain number: <mn data-k="key">text</mn>; a power of ten:
    // <mrow data-k="key"><mn>m</mn><mo>×</mo><msup><mn>10</mn><mn>e</mn></msup></mrow>
    const re = /<(mn|mrow|mi) data-k="([^"]+)"[^>]*>(.*?)<\\/\\1>/g;
    for (const m of html.matchAll(re)) nums.push({ k: m[2], text: m[3].replace(/<[^>]+>/g, "") });
    out.push({ phase: ev.phase, step: ev.step, choice, nums });
  }
}
process.stdout.write(JSON.stringify(out));
"""
    r = subprocess.run([NODE, "--input-type=module", "-e", script], input=json.dumps(payload),
                       capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def parse_shown(text: str) -> tuple[Decimal, Decimal]:
    """Shown text -> (value, half a unit of its last digit). "−0.2845", "4.876×10−7", "?"."""
    s = text.replace("−", "-").strip()
    m = re.fullmatch(r"(-?[\d.]+)×10(-?\d+)", s)
    mant, exp = (m.group(1), int(m.group(2))) if m else (s, 0)
    d = Decimal(mant)
    place = d.as_tuple().exponent
    assert isinstance(place, int), text
    return d.scaleb(exp), Decimal(5).scaleb(place + exp - 1)


def assert_shown(text: str, expected: float, what: str) -> None:
    assert text != "?", f"{what}: the page shows '?' where the engine has {expected!r}"
    value, half = parse_shown(text)
    exp = Decimal(repr(float(expected)))
    slack = half * Decimal("1.000001") + abs(exp) * Decimal("1e-12")
    assert abs(value - exp) <= slack, f"{what}: page shows {text}, engine has {expected!r}"


def expected_value(key: str, ph: dict[str, Any], choice: dict[str, int],
                   steps: dict[int, dict[str, Any]], activation: str) -> float:
    """The engine's value behind a number the page shows."""
    n, i, j, k = choice["sample"], choice["layer"], choice["unit"], choice["input"]
    step = steps[ph["step"] if ph["phase"] != "update" else ph["step"] - 1]
    fw = step["forward"]["layers"][i]
    upd_ev = step["update"]
    upd = upd_ev["layers"][i]
    base = key.rstrip("0123456789") if not re.search(r"\.\d+$", key) else key
    sub = int(key.rsplit(".", 1)[1]) if re.search(r"\.\d+$", key) else None
    ph_name = ph["phase"]
    if ph_name == "forward":
        table = {"z": fw["z"][n][j], "a": fw["a"][n][j], "b": upd["b_before"][j]}
        if key.startswith("W."):
            return upd["W_before"][j][sub]
        if key.startswith("x."):
            return fw["x"][n][sub]
        if base == "mask":
            return fw["mask"][n][j]
        if base == "a_out":
            return fw["a"][n][j] * fw["mask"][n][j]
        return table[base]
    if ph_name == "loss":
        p = np.asarray(ph["p"][n], dtype=np.float64)
        y = ph["y"][n]
        if key.startswith("p."):
            return float(p[sub])
        if key.startswith("dz_out."):
            return ph["dz"][n][sub]
        if base == "loss":
            return ph["loss"]
        if base == "penalty":
            return ph["penalty"]
        if base == "total":
            return ph["loss"] + ph["penalty"]
        if base == "y" or key.startswith("y."):
            if ph["output"] == "softmax" and key.startswith("y."):
                return 1.0 if sub == int(y) else 0.0
            return float(y[sub] if isinstance(y, list) else y)
        if base == "share":
            if ph["loss_name"] == "cross_entropy" and ph["output"] == "softmax":
                return float(-np.log(p[int(y)]))
            if ph["loss_name"] == "cross_entropy":
                return float(-(y * np.log(p[0]) + (1 - y) * np.log(1 - p[0])))
            t = np.zeros_like(p)
            if ph["output"] == "softmax":
                t[int(y)] = 1
            else:
                t[:] = y
            return float(np.mean((p - t) ** 2))
        raise AssertionError(f"unknown loss key {key}")
    if ph_name == "backward":
        bw = ph["layers"][i]
        if base == "da":
            return bw["da"][n][j]
        if base == "dz":
            return bw["dz"][n][j]
        if base == "da_sum":  # Σ_k W_kj dL/dz_k from the layer above, before its mask
            above_W = np.asarray(upd_ev["layers"][i + 1]["W_before"], dtype=np.float64)
            above_dz = np.asarray(ph["layers"][i + 1]["dz"][n], dtype=np.float64)
            return float(above_dz @ above_W[:, j])
        if base == "mask":
            return fw["mask"][n][j]
        if base == "fprime":
            z = np.float64(fw["z"][n][j])
            a = np.float64(fw["a"][n][j])
            return float(get_activation(activation).backward(z, a, np.float64(1.0)))
        if base == "x":
            return fw["x"][n][k]
        if base == "dW_share":
            return bw["dz"][n][j] * fw["x"][n][k]
        if base == "dW":
            return bw["dW"][j][k]
        if base == "db":
            return bw["db"][j]
        raise AssertionError(f"unknown backward key {key}")
    # update
    h, t = ph["hyper"], ph["t"]
    u = ph["layers"][i]
    g = u["dW"][j][k]
    w0 = u["W_before"][j][k]
    wd = h.get("weight_decay", 0.0)
    g_eff = g + wd * w0 if wd and ph["optimizer"] != "adamw" else g
    prev = steps.get(ph["step"] - 2, {}).get("update")

    def state(name: str, ev: dict[str, Any] | None = None) -> float:
        ev = ev or ph
        return ev["layers"][i]["state"][name]["W"][j][k]

    b1, b2 = h.get("betas", (0.9, 0.999))
    m = state("exp_avg") if "exp_avg" in u["state"] else math.nan
    v = state("exp_avg_sq") if "exp_avg_sq" in u["state"] else math.nan
    table = {
        "w_before": w0, "g": g, "lr": h["lr"], "w_after": u["W"][j][k],
        "delta": u["dW_update"][j][k], "g_wd": g_eff, "wd": wd, "momentum": h.get("momentum"),
        "buf": state("momentum_buffer") if "momentum_buffer" in u["state"] else math.nan,
        "beta": b1, "one_minus_beta": math.nan, "m": m, "v": v, "t": t, "eps": h.get("eps"),
        "mhat": m / (1 - b1**t), "vhat": v / (1 - b2**t),
    }
    if key.startswith("g") and base in ("g",):
        return g if key == "g" or key == "g2" else g_eff
    if key in ("g3", "g4"):
        return g_eff
    if key in ("beta1", "beta1b"):
        return b1
    if key in ("beta2", "beta2b"):
        return b2
    if key == "one_minus_beta1":
        return 1 - b1
    if key == "one_minus_beta2":
        return 1 - b2
    if key in ("buf_prev", "m_prev", "v_prev"):
        assert prev is not None, key
        name = {"buf_prev": "momentum_buffer", "m_prev": "exp_avg", "v_prev": "exp_avg_sq"}[key]
        return state(name, prev)
    return table[base]


CASES = {
    "sgd": {"optimizer": "sgd", "lr": 0.1, "momentum": 0},
    "momentum": {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9},
    "nesterov-wd": {"optimizer": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True,
                    "weight_decay": 0.01},
    "adam": {"optimizer": "adam", "lr": 0.01},
    "adamw": {"optimizer": "adamw", "lr": 0.01, "weight_decay": 0.1},
}


def walk(client: TestClient, config: dict[str, Any], steps: int = 2
         ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """Phase events of `steps` whole steps, the frame weights at each step's start (as the
    page would read them), and the session's info."""
    s = create(client, config=config)
    events: list[dict[str, Any]] = []
    frame_weights: dict[str, Any] = {}
    with client.websocket_connect(f"/ws/{s['id']}?token={s['token']}") as ws:
        r = Reader(ws)
        hello = r.event("hello")
        header, arrays = r.frame()
        L = len(hello["info"]["sizes"]) - 1
        for _ in range(steps):
            frame_weights[str(header["step"])] = [
                {"W": arrays[f"W{i}"].tolist(), "b": arrays[f"b{i}"].tolist()} for i in range(L)]
            for _ in range(4):
                r.send(type="phase")
                events.append(r.event("phase"))
            header, arrays = r.frame(where=lambda h: h["step"] == events[-1]["step"])
    return events, frame_weights, hello["info"]


def choices_for(sizes: list[int], batch: int) -> list[dict[str, int]]:
    L = len(sizes) - 1
    return [
        {"sample": 0, "layer": 0, "unit": 0, "input": 0},
        {"sample": batch - 1, "layer": 0, "unit": sizes[1] - 1, "input": sizes[0] - 1},
        {"sample": 1, "layer": 1, "unit": 2, "input": 3},
        {"sample": 2, "layer": L - 1, "unit": 0, "input": 1},
    ]


@pytest.mark.skipif(NODE is None, reason="Node.js is needed to run the page's module")
@pytest.mark.parametrize("dropout", [0.0, 0.5], ids=["no-dropout", "dropout"])
@pytest.mark.parametrize("case", list(CASES))
def test_every_number_shown_is_the_engines(client: TestClient, case: str, dropout: float
                                           ) -> None:
    config = {"data": "spiral", "samples": 100, "layers": [5, 4], "activation": "tanh",
              "batch_size": 6, "dropout": dropout, **CASES[case]}
    events, frame_weights, info = walk(client, config)
    sizes = info["sizes"]
    choices = choices_for(sizes, 6)
    shown = run_page_module({"events": events, "frame_weights": frame_weights, "sizes": sizes,
                             "choices": choices, "activation": "tanh", "l2": 0})
    steps: dict[int, dict[str, Any]] = {}
    for ev in events:
        start = ev["step"] - 1 if ev["phase"] == "update" else ev["step"]
        steps.setdefault(start, {})[ev["phase"]] = ev
    checked = 0
    keys = set()
    for item in shown:
        ph = steps[item["step"] - 1 if item["phase"] == "update" else item["step"]][item["phase"]]
        for num in item["nums"]:
            what = f"{case} {item['phase']} step {ph['step']} {item['choice']} {num['k']}"
            assert_shown(num["text"], expected_value(num["k"], ph, item["choice"], steps, "tanh"),
                         what)
            checked += 1
            keys.add(f"{item['phase']}.{num['k'].split('.')[0]}")
    # the walk shows what it promises for every phase
    must = {"forward.W", "forward.x", "forward.b", "forward.z", "forward.a", "loss.p",
            "loss.share", "loss.loss", "backward.da", "backward.dz", "backward.fprime",
            "backward.dW", "backward.db", "update.w_before", "update.g", "update.w_after",
            "update.lr"}
    if dropout:  # the backward line of a hidden neuron shows Σ W·dz and its mask
        must |= {"forward.mask", "forward.a_out", "backward.da_sum", "backward.mask"}
    if case in ("momentum", "nesterov-wd"):
        must |= {"update.buf", "update.buf_prev", "update.momentum"}
    if case in ("adam", "adamw"):
        must |= {"update.m", "update.v", "update.mhat", "update.vhat", "update.m_prev",
                 "update.eps", "update.t"}
    assert must <= keys, f"not shown: {sorted(must - keys)}"
    assert checked > 200


def test_a_dropped_neuron_is_shown_as_dropped(client: TestClient) -> None:
    """With dropout, the forward view says when the chosen neuron was dropped (mask 0) and
    passes 0 on, as the engine did."""
    if NODE is None:
        pytest.skip("Node.js is needed to run the page's module")
    config = {"data": "spiral", "samples": 100, "layers": [8], "batch_size": 10,
              "dropout": 0.5, "optimizer": "sgd", "lr": 0.1}
    events, fw, info = walk(client, config, steps=1)
    mask = np.asarray(events[0]["layers"][0]["mask"])
    n, j = map(int, np.argwhere(mask == 0)[0])
    shown = run_page_module({"events": events[:1], "frame_weights": fw, "sizes": info["sizes"],
                             "choices": [{"sample": n, "layer": 0, "unit": j, "input": 0}],
                             "activation": "tanh", "l2": 0})
    nums = {x["k"]: x["text"] for x in shown[0]["nums"]}
    assert nums["mask"] == "0" and nums["a_out"] == "0"
