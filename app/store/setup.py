"""The app's store from its settings: ``database_url`` if given, else runs.sqlite3 in
``data_dir``, else none (runs are not recorded)."""

from __future__ import annotations

from typing import Any

from .database import describe, sqlite_url
from .recorder import Recorder
from .store import RunStore


def store_url(settings: Any) -> str | None:
    if settings.database_url:
        return str(settings.database_url)
    if settings.data_dir is not None:
        return sqlite_url(settings.data_dir)
    return None


def where(settings: Any) -> str:
    """Where runs are kept, for the start-up banner."""
    url = store_url(settings)
    if url is None:
        return "runs are not recorded (no --data-dir or --database-url)"
    if settings.database_url:
        return f"runs are kept in {describe(url)}"
    return f"runs are kept in {settings.data_dir}"


def open_for(settings: Any) -> tuple[RunStore | None, Recorder | None]:
    """(store, recorder), or (None, None) when runs are not recorded. Raises StoreOpenError
    (what is wrong and what to do) when the store cannot be opened."""
    url = store_url(settings)
    if url is None:
        return None, None
    store = RunStore(url)
    return store, Recorder(store)
