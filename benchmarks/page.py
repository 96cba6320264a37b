"""Measure the page in Chromium while the default spiral run trains as fast as it can.

    .venv/bin/python benchmarks/page.py [--seconds 10] [--url http://127.0.0.1:8000]

Without --url a server is started on a free port. Reports, from inside the browser:
animation frames per second (requestAnimationFrame callbacks, each of which draws the newest
frame when one has arrived), frames drawn per second (new server frames drawn), frames
received per second, the mean time spent drawing one frame, and epochs per second on the
page's epoch counter.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"

PROBE = """() => { const s = window.__lab.state;
  return {t: performance.now(), ticks: s.ticks, drawn: s.framesDrawn, got: s.framesIn,
          drawMs: s.drawMs, epoch: s.epoch, step: s.step}; }"""


def start_server() -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port)], cwd=ROOT,
                            env={**os.environ}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=1):
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def measure(base: str, seconds: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--headless"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000},
                                bypass_csp=True)  # wait_for_function evaluates strings
        page.goto(base + "/")
        page.wait_for_function("window.__lab && window.__lab.state.frame !== null",
                               timeout=30000)
        page.click("#btn-play")
        page.wait_for_function("window.__lab.state.step > 0", timeout=30000)
        page.wait_for_timeout(1000)  # warm up
        a = page.evaluate(PROBE)
        page.wait_for_timeout(seconds * 1000)
        b = page.evaluate(PROBE)
        page.click("#btn-play")
        browser.close()
    dt = (b["t"] - a["t"]) / 1000
    drawn = b["drawn"] - a["drawn"]
    return {
        "seconds": round(dt, 2),
        "animation_frames_per_second": round((b["ticks"] - a["ticks"]) / dt, 1),
        "frames_drawn_per_second": round(drawn / dt, 1),
        "frames_received_per_second": round((b["got"] - a["got"]) / dt, 1),
        "draw_ms_per_frame": round((b["drawMs"] - a["drawMs"]) / max(1, drawn), 2),
        "epochs_per_second": round((b["epoch"] - a["epoch"]) / dt, 1),
        "steps_per_second": round((b["step"] - a["step"]) / dt, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--url", help="a running server; default: start one")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing", file=sys.stderr)
        return 2
    proc = None
    base = args.url
    if base is None:
        proc, base = start_server()
    try:
        result = measure(base.rstrip("/"), args.seconds)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    for k, v in result.items():
        print(f"{k:30s} {v}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
