"""Opening a store: migrations upgrade an older store and keep its rows; a damaged SQLite
file is refused with what to do, and left as it was; SQLite runs in WAL with a busy timeout."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from store_helpers import CFG, OWNER, row

from app.store import RunStore, StoreOpenError, sqlite_url
from app.store import database as db
from app.store.schema import metadata


def test_an_older_store_is_upgraded_and_keeps_its_rows(store_url: str) -> None:
    engine = db.make_engine(store_url)
    cfg = db.alembic_config()
    with engine.connect().execution_options(write=True) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")  # the store as the first version made it
        conn.commit()
    with engine.connect() as conn:
        assert "live_sessions" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    # rows written by that version
    engine = db.make_engine(store_url)
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        conn.execute(sa.text(
            "INSERT INTO runs (id, owner, name, note, starred, config, created_at, updated_at,"
            " last_step, points, bytes) VALUES ('old-run', 'x', 'kept', '', false, '{}',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 5, 0, 0)"))
    engine.dispose()
    store = RunStore(store_url)  # opening upgrades to the newest revision
    try:
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")
                                ).scalar_one() == db.head_revision()
        run = store.get_run("old-run")
        assert run is not None and run["name"] == "kept" and run["last_step"] == 5
        store.put_live_session("s", "t", kind="train", run_id="old-run")
        assert store.live_sessions()[0]["run_id"] == "old-run"
    finally:
        store.close()


def test_reopening_a_store_keeps_everything(store_url: str) -> None:
    store = RunStore(store_url)
    run_id = store.create_run(OWNER, name="kept", config=CFG)["id"]
    store.add_metrics(run_id, [row(1), row(2)])
    store.close()
    again = RunStore(store_url)
    try:
        assert [p["step"] for p in again.history(run_id)] == [1, 2]
    finally:
        again.close()


def test_the_migrations_make_the_tables_the_code_uses(store_url: str) -> None:
    store = RunStore(store_url)
    try:
        inspector = sa.inspect(store.engine)
        for table in metadata.sorted_tables:
            made = {c["name"] for c in inspector.get_columns(table.name)}
            assert made == {c.name for c in table.columns}, table.name
    finally:
        store.close()


def test_a_store_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    RunStore(url).close()
    engine = db.make_engine(url)
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreOpenError, match="newer than this version knows"):
        RunStore(url)


@pytest.mark.parametrize("content", [
    b"this is not a database at all, just text" * 100,
    b"SQLite format 3\x00" + b"\xff" * 8000,
])
def test_a_damaged_sqlite_file_is_refused_with_what_to_do_and_left_as_it_was(
        tmp_path: Path, content: bytes) -> None:
    path = tmp_path / db.DB_FILE
    path.write_bytes(content)
    with pytest.raises(StoreOpenError) as err:
        RunStore(sqlite_url(tmp_path))
    message = str(err.value)
    assert str(path) in message and "Move it away" in message and "backup" in message
    assert path.read_bytes() == content


def test_a_data_dir_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreOpenError, match="cannot create the data directory"):
        RunStore(sqlite_url(blocker / "sub"))


def test_sqlite_runs_in_wal_with_a_busy_timeout_and_writers_queue(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    a, b = RunStore(url), RunStore(url)  # two app instances on one file
    try:
        with a.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
        ids = [a.create_run(OWNER, name=f"r{i}", config=CFG)["id"] for i in range(2)]
        errors: list[BaseException] = []

        def write(store: RunStore, run_id: str) -> None:
            try:
                for s in range(60):
                    store.add_metrics(run_id, [row(s)])
                    store.add_event(run_id, s, "lr", s, s + 1)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(st, i)) for st, i in zip(
            (a, b), ids, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert [len(a.history(i)) for i in ids] == [60, 60]
        assert [len(b.events(i)) for i in ids] == [60, 60]
    finally:
        a.close()
        b.close()


def test_default_data_dir_follows_xdg() -> None:
    assert db.default_data_dir({"XDG_DATA_HOME": "/x/share", "HOME": "/h"}) == Path(
        "/x/share/backprop-lab")
    assert db.default_data_dir({"HOME": "/h"}) == Path("/h/.local/share/backprop-lab")


def test_an_unsupported_url_is_named() -> None:
    with pytest.raises(StoreOpenError, match="only sqlite:/// and postgresql"):
        RunStore("mysql://user@host/db")


def test_app_instances_starting_together_on_one_postgresql_store_both_open(postgres: object
                                                                            ) -> None:
    url = postgres.new_database()  # type: ignore[attr-defined]
    opened: list[RunStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(RunStore(url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == [] and len(opened) == 3
        with opened[0].engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
        a, b = opened[0], opened[1]
        ids = [a.create_run(OWNER, name=f"r{i}", config=CFG)["id"] for i in range(2)]

        def write(store: RunStore, run_id: str) -> None:
            for s in range(40):
                store.add_metrics(run_id, [row(s)])
                store.add_checkpoint(run_id, s, "periodic", b"x" * 100)

        ts = [threading.Thread(target=write, args=(st, i)) for st, i in zip((a, b), ids,
                                                                            strict=True)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        usage = a.usage(OWNER)
        expected = 2 * (40 * 100 + 8 * (100 + 64))  # rows, and the 8 checkpoints kept each
        assert usage == {"runs": 2, "bytes": expected}
    finally:
        for s in opened:
            s.close()
