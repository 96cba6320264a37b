"""``python -m app`` says where runs are kept, and stops with a clear message (not a crash
loop, not an overwritten file) when the store cannot be opened."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from app import __main__ as cli
from app.store import database as db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_damaged_store_stops_the_start_with_the_file_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / db.DB_FILE
    bad.write_bytes(b"not a database" * 50)
    code = cli.main(["--data-dir", str(tmp_path), "--port", str(free_port())])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"runs are kept in {tmp_path}" in out
    assert str(bad) in err and "Move it away" in err
    assert bad.read_bytes() == b"not a database" * 50


def test_an_unreachable_database_url_is_named_without_its_password(
        capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql+psycopg://me:hunter2@127.0.0.1:{free_port()}/runs"
    code = cli.main(["--database-url", url, "--port", str(free_port())])
    out, err = capsys.readouterr()
    assert code == 1 and "hunter2" not in out + err
    assert "cannot open the run store at postgresql+psycopg://me:***@127.0.0.1" in err


def test_the_store_settings_come_from_the_environment_and_are_checked() -> None:
    from app.settings import Settings, SettingsError

    s = Settings.from_env({"BACKPROP_DATA_DIR": "/srv/lab",
                           "BACKPROP_DATABASE_URL": "postgresql+psycopg://u@db/lab"})
    assert s.data_dir == Path("/srv/lab") and s.database_url == "postgresql+psycopg://u@db/lab"
    with pytest.raises(SettingsError, match="database_url"):
        Settings.from_env({"BACKPROP_DATABASE_URL": "mysql://u@db/lab"})
