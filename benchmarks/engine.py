"""Training steps per second of the engine, side by side with PyTorch on one thread.

One step is forward, loss, backward and an Adam update on a fixed mini-batch, float32.
Both sides run single-threaded (the BLAS thread variables are set before NumPy loads;
torch.set_num_threads(1)), interleaved in each round so a busy machine slows both alike,
and the table reports the median over the rounds.

    python benchmarks/engine.py                 # 7 rounds, about 0.25 s per measurement
    python benchmarks/engine.py --rounds 3 --seconds 0.1 --no-torch
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy (and torch) load their BLAS

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.network import Network  # noqa: E402
from engine.optim import Adam  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    sizes: list[int]
    activation: str
    output: str  # "sigmoid" (binary cross-entropy) or "softmax" (cross-entropy)
    batch: int
    target: float  # the speed-up over torch we aim for (docs/performance.md)


CASES = [
    Case("2-8-8-1, batch 10", [2, 8, 8, 1], "tanh", "sigmoid", 10, 5.0),
    Case("64-64-32-10, batch 32", [64, 64, 32, 10], "relu", "softmax", 32, 3.0),
    Case("784-256-128-10, batch 128", [784, 256, 128, 10], "relu", "softmax", 128, 1.0),
]


def make_batch(case: Case, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed batch: X (N, in) float32 and y: class indices (N,) or 0/1 (N,)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((case.batch, case.sizes[0])).astype(np.float32)
    k = case.sizes[-1]
    y = rng.integers(0, max(k, 2), case.batch)
    return X, (y.astype(np.int64) if case.output == "softmax" else y.astype(np.float32))


def engine_runner(case: Case) -> Callable[[int], None]:
    """n steps of the engine: forward, loss, backward, Adam update."""
    net = Network(case.sizes, activation=case.activation, output=case.output, dtype="float32")
    opt = Adam(lr=1e-3)
    X, y = make_batch(case)

    def run(n: int) -> None:
        for _ in range(n):
            net.forward_backward(X, y, True)
            opt.step(net)

    return run


def torch_runner(case: Case) -> Callable[[int], None]:
    """n steps of the standard torch loop on the same network, batch and optimizer."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    act = {"tanh": nn.Tanh, "relu": nn.ReLU}[case.activation]
    mods: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(case.sizes[:-1], case.sizes[1:], strict=True)):
        mods.append(nn.Linear(n_in, n_out))
        if i < len(case.sizes) - 2:
            mods.append(act())
    model = nn.Sequential(*mods).float()
    X_np, y_np = make_batch(case)
    X = torch.from_numpy(X_np)
    if case.output == "softmax":
        y = torch.from_numpy(y_np)
        loss_fn: nn.Module = nn.CrossEntropyLoss()
    else:
        y = torch.from_numpy(y_np).reshape(-1, 1)
        loss_fn = nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)  # foreach: torch's default

    def run(n: int) -> None:
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(X), y)
            loss.backward()
            opt.step()

    return run


def calibrate(run: Callable[[int], None], seconds: float) -> int:
    """Steps that take about ``seconds``."""
    run(20)  # warm up: caches, allocator, lazy state
    n = 20
    while True:
        t0 = time.perf_counter()
        run(n)
        dt = time.perf_counter() - t0
        if dt >= seconds / 4:
            return max(1, int(n * seconds / dt))
        n *= 4


def timed(run: Callable[[int], None], n: int) -> float:
    """Steps per second over n steps."""
    t0 = time.perf_counter()
    run(n)
    return n / (time.perf_counter() - t0)


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=0.25, help="per measurement")
    ap.add_argument("--no-torch", action="store_true", help="measure the engine alone")
    ap.add_argument("--case", type=int, action="append", help="only these cases (0, 1, 2)")
    args = ap.parse_args(argv)
    use_torch = not args.no_torch and torch_available()
    cases = [CASES[i] for i in args.case] if args.case else CASES

    sides: list[tuple[str, Callable[[Case], Callable[[int], None]]]] = [("engine", engine_runner)]
    if use_torch:
        sides.append(("torch", torch_runner))
    runners = {(c.name, s): make(c) for c in cases for s, make in sides}
    counts = {key: calibrate(run, args.seconds) for key, run in runners.items()}
    rates: dict[tuple[str, str], list[float]] = {key: [] for key in runners}
    for r in range(args.rounds):
        for c in cases:
            order = sides if r % 2 == 0 else sides[::-1]  # alternate who goes first
            for s, _ in order:
                key = (c.name, s)
                rates[key].append(timed(runners[key], counts[key]))

    versions = f"NumPy {np.__version__}"
    if use_torch:
        import torch

        versions += f", torch {torch.__version__}"
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {versions}; "
          f"one thread each; median of {args.rounds} rounds\n")
    head = "| network | engine steps/s | engine µs/step |"
    rule = "|---|---:|---:|"
    if use_torch:
        head += " torch steps/s | torch µs/step | engine ÷ torch | target |"
        rule += "---:|---:|---:|---:|"
    print(head)
    print(rule)
    for c in cases:
        ours = statistics.median(rates[(c.name, "engine")])
        row = f"| {c.name} | {ours:,.0f} | {1e6 / ours:.1f} |"
        if use_torch:
            theirs = statistics.median(rates[(c.name, "torch")])
            ratio = ours / theirs
            ok = "met" if ratio >= c.target else "missed"
            row += (f" {theirs:,.0f} | {1e6 / theirs:.1f} | {ratio:.2f}× |"
                    f" ≥ {c.target:g}× ({ok}) |")
        print(row)
    if not args.case:
        snapshot_costs(args.rounds)
    return 0


def snapshot_costs(rounds: int) -> None:
    """What drawing costs next to training: the server evaluates and snapshots a run once per
    frame (30 a second), while it trains thousands of steps a second."""
    from engine.trainer import Trainer

    runs = [("spiral (default: 2-8-8-1, batch 10)", {"data": "spiral"}),
            ("digits (64-64-32-10, batch 32)", {"data": "digits", "layers": [64, 32],
                                                "activation": "relu", "batch_size": 32})]
    print("\n| run | µs/step | µs/evaluate | µs/snapshot | share of training time at 30 frames/s |")
    print("|---|---:|---:|---:|---:|")
    for name, cfg in runs:
        tr = Trainer(cfg)
        tr.step(200)
        step, ev, snap = [], [], []
        for _ in range(rounds):
            t0 = time.perf_counter()
            tr.step(500)
            t1 = time.perf_counter()
            for _ in range(20):
                tr.evaluate(record=False)
            t2 = time.perf_counter()
            for _ in range(20):
                tr.snapshot()
            t3 = time.perf_counter()
            step.append((t1 - t0) / 500)
            ev.append((t2 - t1) / 20)
            snap.append((t3 - t2) / 20)
        s, e, n = (statistics.median(x) * 1e6 for x in (step, ev, snap))
        share = 30 * (e + n) / 1e6  # seconds a second spent drawing-side
        print(f"| {name} | {s:.1f} | {e:.0f} | {n:.0f} | {share:.1%} |")


if __name__ == "__main__":
    raise SystemExit(main())
