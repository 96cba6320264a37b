"""Which learning rate and batch size make the default spiral run convincing in its first 10 s.

For each candidate (optimizer, lr, batch size) and each of several seeds (the seed of the
weights and of the data), the spiral run trains for the number of steps the page reaches in
``--seconds`` seconds, and is evaluated every ``--every`` epochs. The page's speed for batch 10
is the one measured in docs/performance.md (``--page-steps``: 34,021 steps/s, 1,361 epochs/s);
for another batch size it is scaled by the engine's own speed for that batch against batch 10,
measured here on one thread in CPU time (so that other work on a shared machine cancels out).

Reported per candidate and seed: the epochs reached in the time, the test accuracy at the end,
the epoch and the second at which it first reaches 95 %, the lowest test accuracy after that
(how far it falls back: a spike), and the number of evaluations where the training loss jumps
to more than twice its previous value and by more than 0.05 (so noise on a loss of 0.001 does
not count).

    python benchmarks/defaults.py                      # every candidate, 3 seeds
    python benchmarks/defaults.py --seeds 0 --seconds 3 --candidates adam:0.03:10
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.trainer import Trainer  # noqa: E402

CANDIDATES = ["adam:0.03:10", "adam:0.01:10", "adam:0.003:10", "adam:0.01:25", "adam:0.03:25",
              "adam:0.01:50"]
TARGET = 0.95
SPIKE = 0.05  # a loss spike: the training loss more than doubles and rises by more than this


@dataclass
class Result:
    candidate: str
    seed: int
    epochs: float
    final_acc: float
    first_epoch: float | None  # epoch at which test accuracy first reached TARGET
    first_second: float | None  # the same on the page's clock
    low_after: float | None  # lowest test accuracy after first reaching TARGET
    spikes: int  # evaluations whose training loss doubles and rises by more than SPIKE


def config(candidate: str, seed: int) -> dict:
    optimizer, lr, batch = candidate.split(":")
    return {"data": "spiral", "optimizer": optimizer, "lr": float(lr), "batch_size": int(batch),
            "seed": seed, "data_seed": seed}


def steps_per_second(candidate: str, seconds: float = 1.0) -> float:
    """The engine's training rate for this run, one thread, in steps per second of this
    process's CPU time (so that other work on a shared machine does not lower it)."""
    tr = Trainer(config(candidate, 0))
    tr.step(200)  # warm up
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < seconds:
        n += tr.step(500)
    return n / (time.process_time() - t0)


def run(candidate: str, seed: int, steps: int, every: float, rate: float) -> Result:
    tr = Trainer(config(candidate, seed))
    per_epoch = math.ceil(len(tr.X_train) / tr.batch_size)
    chunk = max(1, round(every * per_epoch))
    first_epoch = first_second = low_after = None
    last_loss, spikes = math.inf, 0
    acc = 0.0
    done = 0
    while done < steps:
        done += tr.step(min(chunk, steps - done))
        m = tr.evaluate(record=False)
        acc = m["test_acc"]
        if m["train_loss"] > 2 * last_loss and m["train_loss"] - last_loss > SPIKE:
            spikes += 1
        last_loss = m["train_loss"]
        if first_epoch is None and acc >= TARGET:
            first_epoch, first_second = m["epoch"], done / rate
        elif first_epoch is not None:
            low_after = acc if low_after is None else min(low_after, acc)
        if tr.diverged:
            break
    return Result(candidate, seed, tr.epoch, acc, first_epoch, first_second, low_after, spikes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--candidates", nargs="*", default=CANDIDATES,
                    help="optimizer:lr:batch_size, e.g. adam:0.01:25")
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--seconds", type=float, default=10.0, help="time on the page")
    ap.add_argument("--page-steps", type=float, default=34_021,
                    help="steps/s the page reaches on the default run (batch 10)")
    ap.add_argument("--every", type=float, default=10.0, help="epochs between evaluations")
    args = ap.parse_args()

    print(f"spiral, {args.seconds:g} s on the page ({args.page_steps:,.0f} steps/s at batch 10), "
          f"evaluated every {args.every:g} epochs, target {TARGET:.0%}\n")
    print("| optimizer:lr:batch | seed | epochs in time | test acc at end | first ≥ 95 % at "
          "epoch (s) | lowest after | loss spikes |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    summary = []
    # the speed depends on the batch size only: one measurement per batch size, in interleaved
    # rounds so that a busy spell slows every batch size alike
    batches = sorted({10, *(int(c.split(":")[2]) for c in args.candidates)})
    speeds: dict[int, list[float]] = {b: [] for b in batches}
    for _ in range(3):
        for b in batches:
            speeds[b].append(steps_per_second(f"adam:0.01:{b}", 0.5))
    reference = statistics.median(speeds[10])
    for cand in args.candidates:
        rate = args.page_steps * statistics.median(speeds[int(cand.split(":")[2])]) / reference
        steps = int(rate * args.seconds)
        results = [run(cand, seed, steps, args.every, rate) for seed in args.seeds]
        for r in results:
            first = ("never" if r.first_epoch is None
                     else f"{r.first_epoch:,.0f} ({r.first_second:.1f} s)")
            low = "–" if r.low_after is None else f"{r.low_after:.3f}"
            print(f"| {cand} | {r.seed} | {r.epochs:,.0f} | {r.final_acc:.3f} | {first} | {low} "
                  f"| {r.spikes} |", flush=True)
        reached = [r.first_second for r in results if r.first_second is not None]
        summary.append((cand, statistics.median(r.final_acc for r in results),
                        min(r.final_acc for r in results), len(reached),
                        max(reached) if reached else None,
                        min((r.low_after for r in results if r.low_after is not None),
                            default=None),
                        sum(r.spikes for r in results)))
    print("\n| optimizer:lr:batch | median acc at end | worst acc at end | seeds reaching 95 % "
          "| slowest to 95 % | lowest after 95 % | loss spikes (all seeds) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for cand, med, worst, n, slow, low, spikes in summary:
        slow_s = "–" if slow is None else f"{slow:.1f} s"
        low_s = "–" if low is None else f"{low:.3f}"
        print(f"| {cand} | {med:.3f} | {worst:.3f} | {n}/{len(args.seeds)} | {slow_s} | {low_s} "
              f"| {spikes} |")


if __name__ == "__main__":
    main()
