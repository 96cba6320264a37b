"""The run store: every run remembered, nothing lost on restart (docs/runs.md).

``RunStore`` reads and writes runs in SQLite or PostgreSQL; ``Recorder`` takes what training
produces without making it wait; ``engine.checkpoint`` makes the bytes of a checkpoint."""

from .database import StoreOpenError, default_data_dir, sqlite_url
from .errors import InvalidValue, NotOwner, QuotaError, RunNotFound, StoreError
from .recorder import Recorder
from .store import Quotas, RunStore, check_token, new_run_id, owner_hash

__all__ = ["InvalidValue", "NotOwner", "QuotaError", "Quotas", "Recorder", "RunNotFound",
           "RunStore", "StoreError", "StoreOpenError", "check_token", "default_data_dir",
           "new_run_id", "owner_hash", "sqlite_url"]
