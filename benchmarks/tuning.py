"""Sweep throughput: trials per second on 1 and 2 local worker processes and on a 2-worker Dask
cluster, side by side, and what a trial costs beyond its training.

Each trial trains the digits network (64-32-10, batch 10, plain SGD) for 20 epochs on 80 % of
the training rows and validates on the rest; a sweep is a grid of learning rates, one seed. The
executors run interleaved in each round, so a busy machine slows them alike; the table gives
medians over the rounds. A sweep's time includes starting its local worker processes (spawned
afresh by every sweep, as the command line does); the Dask cluster is started once, before
timing, as an existing cluster would be. The overhead line compares one trial, in process,
with the same training in a bare loop (Trainer.step on the same training rows and one
validation at the end): the difference is the trial's per-epoch validation and bookkeeping.
On a shared machine the parallel speed-up is capped by what the other work leaves free, so the
same runs are also timed in one and in two bare Python processes, without any sweep machinery:
that efficiency is the ceiling a sweep can reach at that moment.

    python benchmarks/tuning.py                 # 3 rounds of 24 trials, about 2 minutes
    python benchmarks/tuning.py --rounds 1 --trials 8
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy loads its BLAS

import argparse  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.sweep_spec import parse_sweep  # noqa: E402
from engine.sweep_trial import hold_out, measure, run_trial  # noqa: E402
from engine.trainer import Trainer  # noqa: E402

# engine.sweep (and Optuna with it) is imported inside the functions: spawned workers re-import
# this script, and should load only what a worker of `python -m engine sweep` loads
BASE = {"data": "digits", "layers": [64, 32], "batch_size": 10, "optimizer": "sgd"}
EPOCHS = 20


def sweep_spec(trials: int) -> dict[str, Any]:
    lrs = [round(10 ** (-3 + 3 * i / max(trials - 1, 1)), 6) for i in range(trials)]
    return {"base": BASE, "params": {"lr": lrs}, "epochs": EPOCHS, "seeds": [0]}


def time_sweep(spec: dict[str, Any], **where: Any) -> tuple[float, list[tuple]]:
    from engine.sweep import run_sweep

    t0 = time.perf_counter()
    result = run_sweep(spec, **where)
    seconds = time.perf_counter() - t0
    assert all(r["state"] == "complete" for r in result.rows), result.rows
    return seconds, [(r["trial"], r["val_loss"]) for r in result.rows]


BARE = ("import sys, math; sys.path.insert(0, {root!r}); from engine.trainer import Trainer\n"
        "from engine.sweep_spec import parse_sweep\n"
        "cfg = parse_sweep({spec!r}).config_for({{'lr': 0.1}}, 0)\n"
        "for _ in range({n}):\n"
        "    tr = Trainer(cfg)\n"
        "    tr.step({epochs} * math.ceil(len(tr.X_train) / tr.batch_size))\n")


def bare_processes(trials: int, processes: int) -> float:
    """Seconds for ``processes`` plain Python processes to train ``trials`` runs between them,
    no sweep machinery: the machine's own parallel speed-up, the ceiling for a sweep's."""
    import subprocess

    root = str(Path(__file__).resolve().parent.parent)
    code = BARE.format(root=root, spec=sweep_spec(2), n=trials // processes, epochs=EPOCHS)
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(processes)]
    for p in procs:
        p.wait()
    return time.perf_counter() - t0


def startup(workers: int) -> float:
    """Seconds to start a local pool of ``workers`` processes (each imports the engine)."""
    from engine.sweep import LocalPool

    t0 = time.perf_counter()
    pool = LocalPool(workers)
    seconds = time.perf_counter() - t0
    pool.close()
    return seconds


def overhead(repeats: int) -> tuple[float, float]:
    """(median seconds of a trial run in process, of the same training in a bare loop)."""
    sweep = parse_sweep(sweep_spec(2))
    cfg = sweep.config_for({"lr": 0.1}, 0)
    task = {"trial": 0, "seed": 0, "epochs": EPOCHS, "config": cfg, "val_share": 0.2,
            "metric": "val_loss", "pruning": None}
    trial, bare = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        row = run_trial(task)
        trial.append(time.perf_counter() - t0)
        assert row["state"] == "complete"
        t0 = time.perf_counter()
        tr = Trainer(cfg)
        if len(tr.X_val):
            X_val, y_val = tr.X_val, tr.y_val
        else:
            X_val, y_val = hold_out(tr, 0.2)  # the same rows the trial trains on
        tr.step(EPOCHS * math.ceil(len(tr.X_train) / tr.batch_size))
        measure(tr, X_val, y_val)
        bare.append(time.perf_counter() - t0)
    return statistics.median(trial), statistics.median(bare)


# --------------------------------------------------------------- sweeps beside live sessions
def beside_sessions(sessions: int, seconds: float, workers: int) -> None:
    """A real server (``python -m app``) with ``sessions`` playing sessions, each read by a
    websocket: frames per second of each, before a sweep and while one runs on ``workers``
    worker processes (at their lower priority), on the same machine."""
    import asyncio
    import json
    import socket
    import subprocess
    import tempfile
    import urllib.request

    import websockets

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="bench-sweep-")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), "--data-dir", data,
                             "--sweep-workers", str(workers)], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def call(method: str, path: str, body: Any = None) -> Any:
        req = urllib.request.Request(base + path, method=method, data=None if body is None
                                     else json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    for _ in range(150):
        try:
            call("GET", "/api/health")
            break
        except OSError:
            time.sleep(0.2)
    made = [call("POST", "/api/sessions", {}) for _ in range(sessions)]
    counts = [0] * sessions

    async def follow(k: int, s: dict[str, Any], stop: asyncio.Event) -> None:
        url = f"ws://127.0.0.1:{port}/ws/{s['id']}?token={s['token']}"
        async with websockets.connect(url, max_size=2**24) as ws:
            await ws.send(json.dumps({"type": "play"}))
            while not stop.is_set():
                try:
                    m = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                if isinstance(m, bytes):
                    counts[k] += 1

    async def window() -> list[float]:
        start = list(counts)
        await asyncio.sleep(seconds)
        return [(c - s0) / seconds for c, s0 in zip(counts, start, strict=True)]

    async def run() -> None:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(follow(k, s, stop)) for k, s in enumerate(made)]
        await asyncio.sleep(2)  # connected and playing
        before = await window()
        sweep = {"base": {"data": "digits", "layers": [32]}, "epochs": 30,  # keeps 2 busy
                 "params": {"lr": {"low": 0.001, "high": 1, "log": True}},
                 "search": "random", "trials": 200}
        sid = await asyncio.to_thread(call, "POST", "/api/sweeps", sweep)
        await asyncio.sleep(3)  # the workers started
        during = await window()
        view = await asyncio.to_thread(call, "GET", f"/api/sweeps/{sid['id']}")
        await asyncio.to_thread(call, "DELETE", f"/api/sweeps/{sid['id']}")
        stop.set()
        await asyncio.gather(*tasks)
        print(f"{sessions} playing sessions, frames per second each (lowest / median):")
        print(f"  before the sweep: {min(before):.1f} / {statistics.median(before):.1f}")
        print(f"  during the sweep ({workers} worker processes, {view['done']} runs finished in "
              f"the window, still {view['state']}): {min(during):.1f} / "
              f"{statistics.median(during):.1f} "
              "(target: every session >= 10)")
        print(f"  load {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")

    try:
        asyncio.run(run())
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--beside-sessions", type=int, metavar="N", help=(
        "instead: the frame rate of N playing sessions before and during a sweep"))
    args = ap.parse_args()
    if args.beside_sessions:
        beside_sessions(args.beside_sessions, seconds=10.0, workers=2)
        return
    logging.getLogger("distributed").setLevel(logging.ERROR)
    spec = sweep_spec(args.trials)
    cluster = None
    if not args.no_dask:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; digits 64-32-10, batch 10, {EPOCHS} epochs, "
          f"{args.trials} trials per sweep, {args.rounds} rounds")
    times: dict[str, list[float]] = {"1 worker": [], "2 workers": [], "Dask, 2 workers": []}
    starts: dict[int, list[float]] = {1: [], 2: []}
    bare: dict[int, list[float]] = {1: [], 2: []}
    reference = None
    for _ in range(args.rounds):
        for name, where in (("1 worker", {"workers": 1}), ("2 workers", {"workers": 2}),
                            ("Dask, 2 workers", {"dask_scheduler": cluster.scheduler_address
                                                 if cluster else None})):
            if name.startswith("Dask") and cluster is None:
                continue
            seconds, values = time_sweep(spec, **where)
            reference = reference or values
            assert values == reference, f"{name} gave other numbers"
            times[name].append(seconds)
        for w in starts:
            starts[w].append(startup(w))
        for w in bare:
            bare[w].append(bare_processes(args.trials, w))
        print("  round: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items() if v)
              + f"; bare processes {bare[1][-1]:.2f} s on 1, {bare[2][-1]:.2f} s on 2"
              + f"; load {os.getloadavg()[0]:.1f}", flush=True)
    if cluster is not None:
        cluster.close()
    print(f"{'executor':<18}{'seconds':>9}{'trials/s':>10}{'start s':>9}"
          f"{'trials/s after start':>22}")
    rate, steady = {}, {}
    for name, ts in times.items():
        if ts:
            med = statistics.median(ts)
            rate[name] = args.trials / med
            w = 1 if name == "1 worker" else 2
            start = statistics.median(starts[w]) if not name.startswith("Dask") else 0.0
            steady[name] = args.trials / (med - start)
            print(f"{name:<18}{med:>9.2f}{rate[name]:>10.2f}{start:>9.2f}{steady[name]:>22.2f}")
    efficiency = rate["2 workers"] / (2 * rate["1 worker"])
    print(f"parallel efficiency on 2 local workers: {efficiency:.2f} (target ≥ 0.8); after "
          f"the workers started: {steady['2 workers'] / (2 * steady['1 worker']):.2f}")
    ceiling = statistics.median(bare[1]) / (2 * statistics.median(bare[2]))
    print(f"two bare processes training the same runs, no sweep: efficiency {ceiling:.2f} "
          "(what this machine allows right now)")
    if "Dask, 2 workers" in rate:
        print(f"parallel efficiency on 2 Dask workers: "
              f"{rate['Dask, 2 workers'] / (2 * rate['1 worker']):.2f}")
    trial, bare = overhead(5)
    print(f"one trial in process {1000 * trial:.0f} ms, the same training in a bare loop "
          f"{1000 * bare:.0f} ms: overhead {100 * (trial / bare - 1):+.0f} %")
    print("every executor gave the same validation losses")


if __name__ == "__main__":
    main()
