"""Attack benchmark: how a bystander session fares while other clients attack the server.

A real server (``python -m app`` on a free loopback port) and real websocket clients on this
machine. Each scenario runs a bystander (the spiral preset, playing) and measures its frames
per second and how long its ``step`` takes to be acknowledged, and the server's resident
memory before, during and after the attack:

- phase burst: 300 ``phase`` commands in 3.4 s on a digits session with layers [256, 256];
- set flood: 5 controller connections sending ``set`` commands that rebuild the data, 120 a
  second each;
- 200 viewers: 200 websocket viewers of one session, reading;
- 20 slow readers: 20 viewers that never read, on a session sending ``phase`` events.

Prints a table; with ``--write`` the figures replace the "## Under attack" section of
docs/performance.md. The clients and floods are in benchmarks/attackers.py, which the attack
tests (tests/security/) use too.

    .venv/bin/python benchmarks/attack.py [--seconds 4] [--write]
"""

from __future__ import annotations

import argparse
import atexit
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.attackers import (  # noqa: E402
    BIG_DIGITS,
    BYSTANDER,
    StuckReader,
    Watcher,
    create,
    free_port,
    http,
    phase_burst,
    playing_bystander,
    rss_mb,
    set_flood,
)

PERF = ROOT / "docs" / "performance.md"
ACK_TIMEOUT = 10.0
"""Longest wait for the bystander's step acknowledgement; longer is reported as "none"."""


# ------------------------------------------------------------------------ benchmark
def _measure(base: str, pid: int, attack: Callable[[], Callable[[], None]], seconds: float
             ) -> dict[str, float]:
    """Bystander frames/s and step acknowledgement before and during ``attack`` (which
    starts the attack and returns what ends it); server RSS before, during, after."""
    player, stepper = playing_bystander(base)
    time.sleep(1.0)
    t0 = time.monotonic()
    time.sleep(seconds)
    out = {"fps_before": player.fps(t0), "rss_before": rss_mb(pid)}
    stop = attack()
    t1 = time.monotonic()
    acks = [stepper.step_ack_seconds(timeout=ACK_TIMEOUT)]
    time.sleep(max(0.0, seconds - (time.monotonic() - t1)))
    acks.append(stepper.step_ack_seconds(timeout=ACK_TIMEOUT))
    out.update(fps_during=player.fps(t1), ack_during=max(acks), rss_during=rss_mb(pid))
    stop()
    time.sleep(2.0)
    out["rss_after"] = rss_mb(pid)
    player.close()
    stepper.close()
    return out


def scenario_phase_burst(base: str) -> Callable[[], None]:
    s = create(base, {"config": BIG_DIGITS})
    attacker = Watcher(base, s["id"], s["token"])
    t = threading.Thread(target=phase_burst, args=(attacker,))
    t.start()

    def stop() -> None:
        t.join()
        with http(base) as h:
            h.delete(f"/api/sessions/{s['id']}", headers={"X-Control-Token": s["token"]})
        attacker.close()

    return stop


def scenario_set_flood(base: str) -> Callable[[], None]:
    s = create(base, BYSTANDER)
    t = threading.Thread(target=set_flood, args=(base, s["id"], s["token"]))
    t.start()
    return t.join


def scenario_viewers(base: str, n: int = 200) -> Callable[[], None]:
    s = create(base, {"preset": "spiral"})
    ctl = Watcher(base, s["id"], s["token"])
    ctl.send("play")
    viewers = [Watcher(base, s["id"]) for _ in range(n - 1)]

    def stop() -> None:
        for v in viewers:
            v.close()
        ctl.close()

    return stop


def scenario_slow_readers(base: str, n: int = 20) -> Callable[[], None]:
    s = create(base, {"config": {**BIG_DIGITS, "batch_size": 0}})
    ctl = Watcher(base, s["id"], s["token"])
    stuck = [StuckReader(base, s["id"]) for _ in range(n)]
    t = threading.Thread(target=phase_burst, args=(ctl, 120, 4.0))
    t.start()

    def stop() -> None:
        t.join()
        for r in stuck:
            r.close()
        ctl.close()

    return stop


SCENARIOS: dict[str, Callable[[str], Callable[[], None]]] = {
    "phase burst (300 in 3.4 s, digits [256, 256])": scenario_phase_burst,
    "set flood (5 connections × 120/s)": scenario_set_flood,
    "200 viewers of one session": scenario_viewers,
    "20 slow readers, phase events": scenario_slow_readers,
}


def serve() -> tuple[str, subprocess.Popen[bytes]]:
    """A fresh server on a free loopback port; its runs are recorded in a temporary folder."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="backprop-attack-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port),
                             "--data-dir", data_dir], cwd=ROOT,
                            env={**os.environ, "BACKPROP_MAX_VIEWERS": "250"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with http(base) as h:
                if h.get("/api/health").status_code == 200:
                    return base, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def table(results: dict[str, dict[str, float]]) -> str:
    lines = ["| attack | bystander frames/s before → during | step acknowledged within | "
             "server RSS before → during → after (MB) |", "|---|---|---|---|"]
    for name, r in results.items():
        ack = (f"{r['ack_during']:.2f} s" if r["ack_during"] < ACK_TIMEOUT
               else f"none in {ACK_TIMEOUT:g} s")
        lines.append(f"| {name} | {r['fps_before']:.1f} → {r['fps_during']:.1f} | {ack} | "
                     f"{r['rss_before']:.0f} → {r['rss_during']:.0f} "
                     f"→ {r['rss_after']:.0f} |")
    return "\n".join(lines)


INTRO = """Each attack runs against a fresh server while a bystander (the spiral preset) plays
and asks for single steps. The budget (DESIGN): the bystander keeps 10+ frames per second and
gets a step acknowledged within 1 s; memory returns within 50 MB of its start once the
attackers leave. `.venv/bin/python benchmarks/attack.py --write` measures again; the attack
tests (tests/security/) assert the budget."""


def write(text: str) -> None:
    """Put ``text`` under "## Under attack" in docs/performance.md (replacing that section)."""
    doc = PERF.read_text()
    section = f"## Under attack\n\n{INTRO}\n\n{text}\n"
    pattern = re.compile(r"## Under attack\n.*?(?=\n## |\Z)", re.S)
    doc = pattern.sub(lambda _: section.rstrip("\n"), doc) if pattern.search(doc) \
        else doc.rstrip("\n") + "\n\n" + section
    PERF.write_text(doc.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--write", action="store_true",
                        help="put the table into docs/performance.md (## Under attack)")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, float]] = {}
    for name, scenario in SCENARIOS.items():
        base, proc = serve()  # a fresh server each: one attack's damage is not the next one's
        try:
            results[name] = _measure(base, proc.pid, lambda s=scenario, b=base: s(b),
                                     args.seconds)
        finally:
            stop_server(proc)
        print(name, {k: round(v, 2) for k, v in results[name].items()}, flush=True)
    text = table(results)
    print(text)
    if args.write:
        load = os.getloadavg()[0]
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True).stdout.strip() or "unknown"
        write(f"{text}\n\nMeasured at commit {commit} on "
              f"{platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores (load average {load:.1f} when it ended), "
              f"{args.seconds:g} s windows, a fresh server per attack; RSS after: 2 s after "
              "the attackers left.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
