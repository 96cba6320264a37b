"""The loading examples of docs/fine-tuning.md run as written and give the engine's predictions."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from engine.trainer import Trainer

DOC = Path(__file__).resolve().parents[2] / "docs" / "fine-tuning.md"


def _block(heading: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(heading):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Trainer:
    """The even / odd model of the doc, fine-tuned a little and saved as model.safetensors."""
    tr = Trainer({"data": "digits", "digits_half": "b", "digits_task": "even_odd",
                  "train_per_class": 10, "model": "digits-all", "freeze": [0, 1],
                  "optimizer": "adam", "lr": 0.01, "batch_size": 0})
    tr.step(50)
    (tmp_path / "model.safetensors").write_bytes(tr.model_bytes())
    monkeypatch.chdir(tmp_path)
    return tr


def test_the_numpy_example_predicts_like_the_engine(exported: Trainer) -> None:
    ns: dict = {}
    exec(_block("### In plain NumPy"), ns)  # noqa: S102 - the documentation's own code
    raw = exported.data.raw_test[:50]
    ours = exported.net.predict(exported.data.inputs(raw))[:, 0]
    np.testing.assert_allclose(ns["predict"](raw), ours, atol=1e-5)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                    reason="the PyTorch example needs torch, which is not a test requirement")
def test_the_pytorch_example_predicts_like_the_engine(exported: Trainer) -> None:
    import torch

    ns: dict = {}
    exec(_block("### In PyTorch"), ns)  # noqa: S102
    raw = exported.data.raw_test[:50]
    with torch.no_grad():
        x = (torch.tensor(raw, dtype=torch.float32) - ns["mean"]) / ns["std"]
        theirs = torch.sigmoid(ns["model"](x))[:, 0].numpy()
    ours = exported.net.predict(exported.data.inputs(raw))[:, 0]
    np.testing.assert_allclose(theirs, ours, atol=1e-5)
