"""Open the run store's database: SQLite in a data directory by default, PostgreSQL when a
``postgresql+psycopg://`` URL is given; the schema is brought to the newest migration on open.

SQLite: WAL journal (readers never wait for the writer), a busy timeout (a writer waits for
another writer instead of failing at once), foreign keys on, and write transactions that start
with BEGIN IMMEDIATE, so two processes sharing the file queue up rather than deadlock.
PostgreSQL: connections are checked before use (a restarted server is reconnected to), and
migrations hold an advisory lock, so several app instances can start at once on one store.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DB_FILE = "runs.sqlite3"
BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_S = 3
MIGRATION_LOCK = 0x62706C31  # PostgreSQL advisory lock key taken while migrating


class StoreOpenError(RuntimeError):
    """The store cannot be opened; the message names the file or URL and what to do."""


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME/backprop-lab, else ~/.local/share/backprop-lab (the per-user data
    directory of the XDG convention, which Linux desktops use)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local"
                                           / "share")
    return Path(base) / "backprop-lab"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(Path(data_dir) / DB_FILE).resolve()}"


def alembic_config(url: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    return sa.make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, pragmas: Mapping[str, Any] | None = None) -> sa.Engine:
    """An engine for ``url``. ``pragmas`` (SQLite only) are extra PRAGMAs set on every new
    connection, e.g. {"max_page_count": 1000} to cap the file's size."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        engine = sa.create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        extra = dict(pragmas or {})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi: sqlite3.Connection, _record: Any) -> None:
            dbapi.isolation_level = None  # transactions are begun below, not by the driver
            cur = dbapi.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            for name, value in extra.items():
                cur.execute(f"PRAGMA {name} = {int(value)}")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            write = conn.get_execution_options().get("write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if u.get_backend_name() == "postgresql":
        return sa.create_engine(u, pool_pre_ping=True, pool_size=5, max_overflow=5,
                                connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    raise StoreOpenError(f"database URL {describe(url)}: only sqlite:/// and "
                         "postgresql+psycopg:// URLs are supported")


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a readable SQLite database, before anything writes to it."""
    if not path.exists():
        return
    what = (f"{path} is not a readable run store ({{}}). It was left untouched. Move it away "
            f"(e.g. rename it to {path.name}.broken) or restore a backup, then start again.")
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise StoreOpenError(what.format(exc.strerror or exc)) from None
    if head and head != b"SQLite format 3\x00":
        raise StoreOpenError(what.format("it is not an SQLite database"))
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            result = con.execute("PRAGMA quick_check").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreOpenError(what.format(exc)) from None
    if result is None or result[0] != "ok":
        said = result[0] if result else "nothing"
        raise StoreOpenError(what.format(f"the integrity check says {said}"))


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision; rows are kept. A store made by a newer
    version (a revision this one does not know) is refused, not touched."""
    head = head_revision()
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect().execution_options(write=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()
        try:
            current = MigrationContext.configure(conn).get_current_revision()
            conn.rollback()
            if current is not None and current != head:
                try:
                    script.get_revision(current)
                except Exception:
                    raise StoreOpenError(
                        f"the run store at {describe(str(engine.url))} has schema revision "
                        f"{current!r}, newer than this version knows (newest {head!r}); use "
                        "the newer version of Backprop Lab, or another --data-dir / "
                        "--database-url") from None
            if current != head:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()


def open_engine(url: str, pragmas: Mapping[str, Any] | None = None,
                upgrade: bool = True) -> sa.Engine:
    """An engine on a checked, migrated store. Raises StoreOpenError with what to do."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        path = Path(u.database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreOpenError(f"cannot create the data directory {path.parent}: "
                                 f"{exc.strerror}; choose another with --data-dir") from None
        check_sqlite_file(path)
    engine = make_engine(url, pragmas)
    try:
        if upgrade:
            migrate(engine)
    except StoreOpenError:
        engine.dispose()
        raise
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise StoreOpenError(f"cannot open the run store at {describe(url)}: "
                             f"{str(exc.orig).strip().splitlines()[0]}") from None
    return engine
