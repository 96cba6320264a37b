"""The command line, run as a user runs it: `python -m engine ...` in a subprocess."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.config import FIELDS

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"data": "xor", "samples": 200, "layers": [6], "batch_size": 20}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, env=env,
                       capture_output=True, timeout=120)
    # decoded by hand: text mode would turn the progress bar's \r into \n
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode("utf-8"),
                                       r.stderr.decode("utf-8"))


def write(path: Path, content: object) -> str:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_train_prints_results_saves_the_model_and_metrics(tmp_path: Path) -> None:
    cfg = write(tmp_path / "run.json", SMALL)
    out, metrics = tmp_path / "m.safetensors", tmp_path / "metrics.csv"
    r = run("train", cfg, "--steps", "150", "--out", str(out), "--metrics", str(metrics),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "150 steps" in r.stdout
    assert "train loss" in r.stdout and "test loss" in r.stdout and "accuracy" in r.stdout
    assert "\r[" in r.stderr and "100.0%" in r.stderr and "step 150/150" in r.stderr
    assert "Traceback" not in r.stderr
    net, pre, stored = engine.load_model_full(out)
    assert stored["data"] == "xor" and net.sizes == [2, 6, 1]
    with open(metrics, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "epoch", "train_loss", "test_loss", "train_acc",
                             "test_acc", "seconds"]
    assert float(rows[0]["step"]) == 0 and float(rows[-1]["step"]) == 150
    assert len(rows) == 1 + 150  # every 1% of 150 steps is every step
    # the printed test accuracy is the saved model's
    acc = float(r.stdout.split("test loss")[1].split("accuracy")[1].split()[0])
    tr = engine.Trainer(stored, model=net)
    assert tr.evaluate()["test_acc"] == pytest.approx(acc, abs=1e-4)


def test_train_epochs_quiet(tmp_path: Path) -> None:
    cfg = write(tmp_path / "run.json", SMALL)  # 100 training rows, batch 20: 5 steps an epoch
    r = run("train", cfg, "--epochs", "3", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "15 steps, 3.0 epochs" in r.stdout


def test_train_a_regression_set_reports_rmse_and_r2(tmp_path: Path) -> None:
    cfg = write(tmp_path / "run.json", {"data": "plane", "samples": 100, "layers": [4]})
    r = run("train", cfg, "--steps", "50", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "RMSE" in r.stdout and "R²" in r.stdout


def test_eval_prints_loss_accuracy_and_the_confusion_matrix(tmp_path: Path) -> None:
    cfg = write(tmp_path / "run.json", {"data": "blobs", "classes": 4, "samples": 200,
                                        "layers": [5]})
    out = tmp_path / "m.safetensors"
    assert run("train", cfg, "--steps", "100", "--quiet", "--out", str(out),
               cwd=tmp_path).returncode == 0
    r = run("eval", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "test loss" in r.stdout and "accuracy" in r.stdout
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("confusion matrix"))
    rows = [[int(v) for v in line.split()[1:]] for line in lines[start + 2:start + 6]]
    cm = np.array(rows)
    assert cm.shape == (4, 4) and cm.sum() == 100  # the 100 test points
    # with another data set given by --config
    other = write(tmp_path / "other.json", {"data": "blobs", "classes": 4, "samples": 400,
                                            "data_seed": 5})
    r = run("eval", str(out), "--config", other, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "200 test examples" in r.stdout


def test_fields_lists_every_field() -> None:
    r = run("fields", cwd=ROOT)
    assert r.returncode == 0
    names = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    assert names == list(FIELDS)
    assert "live" in r.stdout and "rebuild" in r.stdout


@pytest.mark.parametrize(("content", "phrase"), [
    ({"lr": 0}, "lr: 0 is not allowed; it must be a number > 0 and ≤ 10"),
    ({"layers": [8] * 9, "optimiser": "adam"}, "optimiser: 'adam' is not allowed; unknown field"),
    ('{"lr": 0.1,', "not valid JSON"),
    ("[1, 2]", "it must be a JSON object"),
    ('{"lr": NaN}', "lr: nan is not allowed"),
    ({"data": "circle", "train_per_class": 999}, "train_per_class"),
])
def test_a_bad_config_file_is_a_clear_message_and_exit_code_2(tmp_path: Path, content: object,
                                                              phrase: str) -> None:
    cfg = write(tmp_path / "bad.json", content)
    r = run("train", cfg, "--steps", "5", cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: {cfg}: ")
    assert phrase in r.stderr


def test_missing_files_and_bad_model_files(tmp_path: Path) -> None:
    r = run("train", str(tmp_path / "nope.json"), cwd=tmp_path)
    assert r.returncode == 2 and "cannot read the configuration file" in r.stderr
    r = run("eval", str(tmp_path / "nope.safetensors"), cwd=tmp_path)
    assert r.returncode == 2 and "cannot read the model file" in r.stderr
    bad = write(tmp_path / "bad.safetensors", "just text, not a model")
    r = run("eval", bad, cwd=tmp_path)
    assert r.returncode == 2 and "not a safetensors file" in r.stderr
    assert "Traceback" not in r.stderr


def test_eval_of_a_model_that_does_not_fit_the_data(tmp_path: Path) -> None:
    net = engine.Network([64, 4, 10], output="softmax")
    path = tmp_path / "digits.safetensors"
    engine.save_model(net, path)  # no stored configuration
    r = run("eval", str(path), cwd=tmp_path)
    assert r.returncode == 2 and "stores no run configuration" in r.stderr
    other = write(tmp_path / "xor.json", {"data": "xor"})
    r = run("eval", str(path), "--config", other, cwd=tmp_path)
    assert r.returncode == 2
    assert "the model takes 64 inputs" in r.stderr and "Traceback" not in r.stderr
    digits = write(tmp_path / "digits.json", {"data": "digits"})
    r = run("eval", str(path), "--config", digits, cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    cfg = write(tmp_path / "run.json", SMALL)
    assert run("train", cfg, "--steps", "0", cwd=tmp_path).returncode == 2
    assert run("train", cfg, "--steps", "5", "--epochs", "1", cwd=tmp_path).returncode == 2
    assert run(cwd=tmp_path).returncode == 2


def test_a_diverging_run_exits_1_with_the_message(tmp_path: Path) -> None:
    cfg = write(tmp_path / "run.json", {"data": "plane", "standardize": False,
                                        "optimizer": "sgd", "momentum": 0, "lr": 10})
    r = run("train", cfg, "--steps", "500", "--quiet", cwd=tmp_path)
    assert r.returncode == 1
    assert "diverged:" in r.stderr and "learning rate 10" in r.stderr


def test_an_output_path_that_cannot_be_written_fails_before_training(tmp_path: Path) -> None:
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"data": "xor", "samples": 60}))
    for flag in ("--out", "--metrics"):
        r = run("train", str(cfg), "--steps", "5", flag, str(tmp_path / "no" / "such" / "x"),
                cwd=tmp_path)
        assert r.returncode == 2
        assert "does not exist" in r.stderr and "Traceback" not in r.stderr
        assert "steps" not in r.stdout  # nothing was trained


def test_a_deeply_nested_config_file_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "deep.json"
    cfg.write_text("[" * 100_000 + "]" * 100_000)
    r = run("train", str(cfg), cwd=tmp_path)
    assert r.returncode == 2 and "nested too deeply" in r.stderr
    assert "Traceback" not in r.stderr


# ------------------------------------------------------------------ lr-find and pipes
def test_lr_find_ends_with_the_suggestion_and_writes_the_points(tmp_path: Path) -> None:
    cfg = write(tmp_path / "run.json", {"data": "digits", "layers": [32], "batch_size": 32})
    points = tmp_path / "points.csv"
    r = run("lr-find", cfg, "--steps", "120", "--out", str(points), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("suggested lr: ")
    lr = float(last.split(": ")[1])
    found = engine.lr_find(engine.Trainer(json.loads(Path(cfg).read_text())), steps=120)
    assert lr == pytest.approx(found.suggestion, rel=1e-2)  # printed with 3 digits
    with open(points, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["lr", "loss", "smoothed_loss"]
    assert len(rows) == len(found.lrs) <= 120
    assert float(rows[0]["lr"]) == pytest.approx(1e-6)


def test_lr_find_rejects_a_bad_step_count_and_config(tmp_path: Path) -> None:
    cfg = write(tmp_path / "run.json", {"data": "xor", "samples": 100})
    r = run("lr-find", cfg, "--steps", "5000", cwd=tmp_path)
    assert r.returncode == 2 and "steps" in r.stderr and "Traceback" not in r.stderr
    bad = write(tmp_path / "bad.json", {"data": "xor", "lr": -1})
    r = run("lr-find", bad, cwd=tmp_path)
    assert r.returncode == 2 and "lr" in r.stderr


def test_a_reader_that_closes_the_pipe_early_ends_the_command_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "engine", "fields"], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # like `| head` that has read enough, before the command writes a line
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    assert err == ""  # no "error: : Broken pipe", no traceback
    assert p.returncode == 141
