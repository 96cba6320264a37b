"""The run store's tables, as the newest migration leaves them (migrations/versions/ holds
each step; a test checks the two agree).

    runs            one training trajectory: who owns it, its name, configuration, counters
    run_tags        the owner's tags and the run's kinds (race, lesson, finetune, sweep ...)
    metrics         metric history rows (compacted past MAX_POINTS per run, see compaction.py)
    events          live changes: a field's old and new value at a step
    checkpoints     weights + optimizer state (engine/checkpoint.py bytes) at a step, and why
    live_sessions   what a restarted server needs to bring a session back
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# integer primary keys that count up: BIGINT on PostgreSQL, SQLite's rowid INTEGER
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Moment = sa.DateTime(timezone=True)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False, index=True),  # sha256 of the owner key
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("starred", sa.Boolean, nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("data_seed", sa.BigInteger, nullable=True),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("updated_at", Moment, nullable=False),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),  # metric rows held
    sa.Column("bytes", sa.BigInteger, nullable=False),  # accounted size (quota)
)

run_tags = sa.Table(
    "run_tags", metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("tag", sa.String(40), primary_key=True),
    sa.Column("kind", sa.Boolean, primary_key=True),  # True: a kind the app gave, not a tag
    sa.Index("ix_run_tags_tag", "tag"),
)

metrics = sa.Table(
    "metrics", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("epoch", sa.Float, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("train_loss", sa.Float, nullable=True),
    sa.Column("test_loss", sa.Float, nullable=True),
    sa.Column("train_acc", sa.Float, nullable=True),
    sa.Column("test_acc", sa.Float, nullable=True),
    sa.Column("val_loss", sa.Float, nullable=True),
    sa.Column("val_acc", sa.Float, nullable=True),
    sa.Column("compacted", sa.Boolean, nullable=False),  # kept from a compacted bucket
    sa.Index("ix_metrics_run_step", "run_id", "step"),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("old", sa.Text, nullable=True),  # JSON text
    sa.Column("new", sa.Text, nullable=True),  # JSON text
    sa.Column("at", Moment, nullable=False),
    sa.Index("ix_events_run_step", "run_id", "step"),
)

checkpoints = sa.Table(
    "checkpoints", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", Moment, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Index("ix_checkpoints_run_step", "run_id", "step"),
)

live_sessions = sa.Table(
    "live_sessions", metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("token_sha256", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="SET NULL"),
              nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("instance", sa.String(64), nullable=True),  # the app instance that holds it
    sa.Column("presenter", sa.JSON, nullable=True),
    sa.Column("updated_at", Moment, nullable=False),
)
