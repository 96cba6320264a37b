"""Small helpers shared by the store tests."""

from __future__ import annotations

from typing import Any

CFG = {"data": "spiral", "optimizer": "adam", "lr": 0.01}
OWNER = "owner-key-aaaaaaaaaaaaaaaa"
OTHER = "owner-key-bbbbbbbbbbbbbbbb"


def row(step: int, loss: float = 1.0, **extra: Any) -> dict[str, Any]:
    """A metric row as a Trainer's evaluate() gives it."""
    return {"step": step, "epoch": step / 10, "seconds": step / 1000, "train_loss": loss,
            "test_loss": loss * 1.1, "train_acc": 0.5, "test_acc": 0.5, **extra}
