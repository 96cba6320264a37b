"""The engine's command line: train a run from a configuration file, evaluate a saved model, list
the configuration fields.

    python -m engine train CONFIG.json [--epochs N | --steps N] [--out model.safetensors]
                                       [--metrics metrics.csv] [--quiet]
    python -m engine eval MODEL.safetensors [--config CONFIG.json]
    python -m engine fields
    python -m engine lr-find CONFIG.json [--steps N] [--out points.csv]
    python -m engine sweep SWEEP.json --out RESULTS.csv [--workers N] [--dask-scheduler ADDRESS]

A bad configuration or model file gets a one-line message on stderr and exit code 2; a run that
diverges exits with 1 after saving what it was asked to save. Output piped into a program that
stops reading (``| head``) ends the command quietly, as other command-line tools do.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from . import config as cfgmod
from .data import DataError
from .serialize import ModelFileError, load_model_full
from .trainer import HISTORY_KEYS, Trainer

DEFAULT_STEPS = 1000
EXIT_DIVERGED = 1
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """A bad file or argument: reported in one line, exit code 2."""


# ------------------------------------------------------------------------------ helpers
def read_config(path: str) -> dict[str, Any]:
    """The validated configuration in the JSON file ``path``; UsageError naming the file and
    the problem otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the configuration file ({exc.strerror})"
                         ) from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the configuration file is not UTF-8 text") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column "
                         f"{exc.colno}") from None
    except RecursionError:
        raise UsageError(f"{path}: the JSON is nested too deeply to be a configuration"
                         ) from None
    try:
        return cfgmod.validate(raw)
    except cfgmod.ConfigError as exc:
        raise UsageError(f"{path}: {exc}") from None


def make_trainer(cfg: dict[str, Any], where: str, model: Any = None,
                 preprocessing: dict[str, Any] | None = None) -> Trainer:
    try:
        return Trainer(cfg, model=model, preprocessing=preprocessing)
    except (cfgmod.ConfigError, DataError) as exc:
        raise UsageError(f"{where}: {exc}") from None


class Progress:
    """A plain-text progress bar on a stream, redrawn in place with \\r (at most ~10 per
    second)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO, enabled: bool = True,
                 unit: str = "step") -> None:
        self.total, self.stream, self.enabled, self.unit = total, stream, enabled, unit
        self.last = 0.0
        self.t0 = time.perf_counter()

    def update(self, done: int, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        frac = done / self.total if self.total else 1.0
        filled = int(round(frac * self.WIDTH))
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {100 * frac:5.1f}% {self.unit} {done}/{self.total} {text} "
                          f"{now - self.t0:.1f}s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _fmt(v: float) -> str:
    return "n/a" if math.isnan(v) else f"{v:.4f}"


def summary(tr: Trainer, m: dict[str, Any]) -> list[str]:
    """Final lines: loss and accuracy (classification) or RMSE and R² (regression)."""
    lines = [f"train loss {_fmt(m['train_loss'])}", f"test loss  {_fmt(m['test_loss'])}"]
    if tr.task == "classification":
        lines[0] += f"  accuracy {_fmt(m['train_acc'])}"
        lines[1] += f"  accuracy {_fmt(m['test_acc'])}"
    else:
        d = tr.details()
        lines[1] += f"  RMSE {_fmt(d['rmse'])}  R² {_fmt(d['r2'])}"
    return lines


def confusion_lines(tr: Trainer) -> list[str]:
    """The test confusion matrix as text: rows are true classes, columns predictions."""
    cm = np.asarray(tr.details()["confusion"])
    names = tr.data.class_names
    w = max(4, max(len(n) for n in names) + 1, len(str(int(cm.max(initial=0)))) + 1)
    head = " " * (w + 1) + "".join(f"{n:>{w}}" for n in names)
    lines = ["confusion matrix (test; rows: true class, columns: predicted)", head]
    for name, row in zip(names, cm, strict=True):
        lines.append(f"{name:>{w}} " + "".join(f"{int(v):>{w}}" for v in row))
    return lines


# ----------------------------------------------------------------------------- commands
def check_writable(path: str | None, what: str) -> None:
    """Fail before training, not after it, when an output file cannot be written."""
    if not path:
        return
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{path}: the {what} path is a folder; give a file name")
    if not p.parent.exists():
        raise UsageError(f"{path}: the folder {p.parent} for the {what} does not exist")
    if not os.access(p if p.exists() else p.parent, os.W_OK):
        raise UsageError(f"{path}: cannot write the {what} (permission denied)")


def cmd_train(args: argparse.Namespace) -> int:
    cfg = read_config(args.config)
    check_writable(args.out, "model")
    check_writable(args.metrics, "metrics file")
    tr = make_trainer(cfg, args.config)
    if args.epochs is not None:
        per_epoch = math.ceil(len(tr.X_train) / tr.batch_size)
        total = args.epochs * per_epoch
    else:
        total = DEFAULT_STEPS if args.steps is None else args.steps
    rows: list[dict[str, float]] = []
    chunk = max(1, total // 100)
    bar = Progress(total, sys.stderr, enabled=not args.quiet)
    m = tr.evaluate()
    rows.append(m)
    while tr.step_count < total and not tr.diverged:
        tr.step(min(chunk, total - tr.step_count))
        m = tr.evaluate()
        rows.append(m)
        acc = f" acc {m['train_acc']:.3f}" if tr.task == "classification" else ""
        bar.update(tr.step_count, f"epoch {tr.epoch:.1f} loss {m['train_loss']:.4f}{acc}",
                   force=tr.step_count >= total)
    bar.close()
    if args.metrics:
        with open(args.metrics, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(HISTORY_KEYS)
            for r in rows:
                writer.writerow([r[k] for k in HISTORY_KEYS])
    if args.out:
        Path(args.out).write_bytes(tr.model_bytes())
    print(f"{cfg['data']}: {tr.step_count} steps, {tr.epoch:.1f} epochs, "
          f"{tr.train_seconds:.2f} s of training")
    for line in summary(tr, m):
        print(line)
    if args.out:
        print(f"model saved to {args.out}")
    if tr.diverged:
        print(f"diverged: {tr.diverged['message']}", file=sys.stderr)
        return EXIT_DIVERGED
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        net, pre, stored = load_model_full(args.model)
    except OSError as exc:
        raise UsageError(f"{args.model}: cannot read the model file ({exc.strerror})") from None
    except ModelFileError as exc:
        raise UsageError(f"{args.model}: {exc}") from None
    if args.config:
        cfg, where = read_config(args.config), args.config
    elif stored:
        try:
            cfg = cfgmod.validate(stored)
        except cfgmod.ConfigError as exc:
            raise UsageError(f"{args.model}: its stored configuration is invalid: {exc}"
                             ) from None
        where = args.model
    else:
        raise UsageError(f"{args.model}: the file stores no run configuration; give one with "
                         "--config CONFIG.json")
    tr = make_trainer(cfg, where, model=net, preprocessing=pre)  # the model's own scaling
    m = tr.evaluate(record=False)
    print(f"{cfg['data']}: {len(tr.X_train)} training and {len(tr.X_test)} test examples")
    for line in summary(tr, m):
        print(line)
    if tr.task == "classification":
        for line in confusion_lines(tr):
            print(line)
    return 0


def cmd_fields(args: argparse.Namespace) -> int:
    rows = [(f.name, json.dumps(f.default, ensure_ascii=False), "live" if f.live else "rebuild",
             f.doc) for f in cfgmod.FIELDS.values()]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'field':<{w0}}  {'default':<{w1}}  {'changes':<7}  meaning")
    for name, default, live, doc in rows:
        print(f"{name:<{w0}}  {default:<{w1}}  {live:<7}  {doc}")
    return 0


def cmd_lr_find(args: argparse.Namespace) -> int:
    from .lr_find import lr_find

    cfg = read_config(args.config)
    check_writable(args.out, "points file")
    tr = make_trainer(cfg, args.config)
    try:
        found = lr_find(tr, steps=args.steps)
    except ValueError as exc:  # a step count out of range, or weights already broken
        text = str(exc)
        raise UsageError(f"--{text}" if text.startswith("steps") else f"{args.config}: {text}"
                         ) from None
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["lr", "loss", "smoothed_loss"])
            writer.writerows(found.rows())
    print(f"{cfg['data']}, {found.optimizer}: {len(found.lrs)} steps of batch "
          f"{tr.batch_size}, learning rate {found.lrs[0]:.3g} to {found.lrs[-1]:.3g} "
          f"({'stopped: the loss ' + found.stopped if found.stopped != 'end' else 'full range'})")
    i_min = int(np.argmin(found.smoothed))
    print(f"lowest smoothed loss {found.smoothed[i_min]:.4f} at lr {found.lrs[i_min]:.3g}"
          f" (smoothing β = {found.smoothing})")
    print(f"steepest descent at lr {found.lr_steep:.3g}; lowest ÷ 10 = {found.lr_min_div10:.3g}")
    if found.flat:
        print("note: the loss hardly fell during the test; try more --steps", file=sys.stderr)
    if args.out:
        print(f"points saved to {args.out}")
    print(f"suggested lr: {found.suggestion:.3g}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import SweepError, load_sweep, run_sweep

    try:
        sweep = load_sweep(args.sweep)
    except OSError as exc:
        raise UsageError(f"{args.sweep}: cannot read the sweep file ({exc.strerror})") from None
    except (ValueError, RecursionError) as exc:  # ConfigError is a ValueError
        raise UsageError(f"{args.sweep}: {exc}") from None
    check_writable(args.out, "results file")
    total = sweep.trials * len(sweep.seeds)
    bar = Progress(total, sys.stderr, enabled=not args.quiet, unit="run")
    counts: dict[str, int] = {}

    def progress(done: int, total: int, row: dict[str, Any]) -> None:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
        bar.update(done, " ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                   force=done >= total)

    try:
        result = run_sweep(sweep, workers=args.workers, dask_scheduler=args.dask_scheduler,
                           progress=progress)
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:  # --workers out of range
        raise UsageError(f"--{exc}") from None
    finally:
        bar.close()
    result.write_csv(args.out)
    runs = len(result.rows)
    print(f"{sweep.search} sweep of {', '.join(sweep.fields)} on {sweep.base['data']}: "
          f"{sweep.trials} trials × {len(sweep.seeds)} seeds = {runs} runs of {sweep.epochs} "
          "epochs (" + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + ")")
    best = result.best
    if best is None:
        print("no trial completed on every seed: see the state and reason columns",
              file=sys.stderr)
        print(f"results saved to {args.out}")
        return EXIT_DIVERGED
    values = ", ".join(f"{k} = {json.dumps(v)}" for k, v in best["params"].items())
    print(f"best by {sweep.metric} (validation, mean of {len(sweep.seeds)} seeds): trial "
          f"{best['trial']}: {values}: {best[sweep.metric]:.4f} "
          f"(spread over seeds {best['spread']:.4f})")
    print(f"results saved to {args.out}")
    return 0


# --------------------------------------------------------------------------------- main
def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is not allowed; it must be ≥ 1")
    return n


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engine",
                                description="Train and evaluate Backprop Lab networks.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    t = sub.add_parser("train", help="train a run described by a configuration file")
    t.add_argument("config", metavar="CONFIG.json", help="the run configuration (JSON object)")
    length = t.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=_positive, help="train this many epochs")
    length.add_argument("--steps", type=_positive,
                        help=f"train this many steps (default {DEFAULT_STEPS})")
    t.add_argument("--out", metavar="MODEL.safetensors", help="save the trained model here")
    t.add_argument("--metrics", metavar="METRICS.csv",
                   help="write loss and accuracy every 1%% of the run as CSV")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(run=cmd_train)
    e = sub.add_parser("eval", help="evaluate a saved model on its data set")
    e.add_argument("model", metavar="MODEL.safetensors")
    e.add_argument("--config", metavar="CONFIG.json",
                   help="use this configuration's data instead of the one stored in the file")
    e.set_defaults(run=cmd_eval)
    f = sub.add_parser("fields", help="list the configuration fields")
    f.set_defaults(run=cmd_fields)
    from .lr_find import DEFAULT_STEPS as LR_STEPS
    from .lr_find import MAX_STEPS as LR_MAX

    lf = sub.add_parser("lr-find", help="find a learning rate with a range test")
    lf.add_argument("config", metavar="CONFIG.json", help="the run configuration (JSON object)")
    lf.add_argument("--steps", type=_positive, default=LR_STEPS,
                    help=f"mini-batches at most (default {LR_STEPS}, at most {LR_MAX})")
    lf.add_argument("--out", metavar="POINTS.csv",
                    help="write every step's lr, loss and smoothed loss as CSV")
    lf.set_defaults(run=cmd_lr_find)
    sw = sub.add_parser("sweep", help="run a hyperparameter sweep (docs/tuning.md)")
    sw.add_argument("sweep", metavar="SWEEP.json", help="the sweep file")
    sw.add_argument("--out", metavar="RESULTS.csv", required=True,
                    help="write a row per trial and seed here")
    where = sw.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive, default=1, metavar="N",
                       help="local worker processes (default 1)")
    where.add_argument("--dask-scheduler", metavar="ADDRESS",
                       help="run on this Dask cluster, e.g. tcp://10.0.0.5:8786")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(run=cmd_sweep)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a closed pipe shows here, not while Python shuts down
        return code
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except OSError as exc:  # e.g. the disk filled up while saving
        print(f"error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``| head``): stop without a word, as cat does.
    Python would complain again when it flushes stdout at exit, so stdout is pointed at
    /dev/null first."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a command ended by a closed pipe
