"""(worker thread) The learning-rate finder: ``lr_find`` runs the engine's range test from
the run's current weights, between two steps, and puts the run back exactly as it was
(engine.lr_find restores it bit for bit). The answer, an ``lr_found`` event to the sender,
carries every point, the smoothed curve and both suggestions; "Use it" on the page is one
``set`` of ``lr``."""

from __future__ import annotations

from engine.lr_find import DEFAULT_STEPS, lr_find

from .. import frames
from ..connection import Command
from ..session import Session
from .models import CommandModel, Whole, whole
from .run import refuse_if_diverged

MIN_STEPS, MAX_STEPS = 10, 1000


class LrFind(CommandModel):
    steps: Whole = whole(MIN_STEPS, MAX_STEPS, DEFAULT_STEPS,
                         " (mini-batches, each at a larger learning rate)")


def find_lr(s: Session, cmd: Command) -> None:
    """Pause the run (the finder needs it still), run the range test, answer the sender."""
    refuse_if_diverged(s)
    if s.running:
        s.running = False
        s.broadcast(s.state_event())
    found = lr_find(s.trainer, steps=int(cmd.fields.get("steps", DEFAULT_STEPS)))
    s.reply(cmd, frames.clean({
        "type": "lr_found", "id": cmd.fields.get("id"), "step": s.trainer.step_count,
        "optimizer": found.optimizer, "lr": s.trainer.config.get("lr"),
        "lrs": found.lrs, "losses": found.losses, "smoothed": found.smoothed,
        "smoothing": found.smoothing, "suggestion": found.suggestion,
        "lr_min_div10": found.lr_min_div10, "lr_steep": found.lr_steep,
        "stopped": found.stopped, "flat": found.flat}))
    s.ack(cmd)
