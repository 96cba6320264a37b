"""Server settings, in one place. Every field can be set from the environment as
``BACKPROP_<FIELD>`` (for example ``BACKPROP_MAX_SESSIONS=20``); every value is checked
against its range when the settings are made (``SettingsError`` names the field)."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import web_dir

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting that cannot be read, or is out of its range."""


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    max_sessions: int = 50
    """Sessions the server holds at once; when full, creating one more closes the session
    without clients for the longest time, or answers 503 when every session has clients."""
    max_params: int = 600_000
    """Parameters (weights and biases) allowed in one session's network."""
    max_work: int = 200_000_000
    """Rows × parameters allowed for one training step (batch rows) and for one evaluation
    (train + test rows); a race counts every runner's parameters."""
    session_ttl_seconds: float = 3600.0
    """A session with no connected client for this long is closed."""
    unclaimed_ttl_seconds: float = 120.0
    """A session that never had a connected client is closed after this long."""
    idle_pause_seconds: float = 30.0
    """A training session with no connected client for this long is paused (a tab closed
    while a run played); the next client to connect is told."""
    max_message_bytes: int = 65536
    """Largest websocket command accepted, and largest HTTP body other than an upload."""
    max_upload_bytes: int = 2 * 1024 * 1024
    """Largest CSV or model upload accepted."""
    commands_per_second: float = 200.0
    """Websocket commands allowed per connection per second (a burst of as many is allowed)."""
    fps: float = 30.0
    """Frames per second sent while a session trains."""
    grid_output: int = 40
    """Resolution of the decision-surface grid (R x R) in frames."""
    grid_neurons: int = 16
    """Resolution of each hidden unit's grid (r x r) in frames."""
    max_viewers: int = 200
    """Websocket connections allowed per session."""
    training_slots: int = 1
    """Sessions that train at the same moment; the others wait their turn (round robin)."""
    switch_interval: float = 0.001
    """Python thread switch interval (seconds) set by ``python -m app``: short, so the event
    loop gets the interpreter back quickly from training threads."""
    send_wait: float = 0.01
    """Longest a training thread waits, after publishing a frame, for every client's sender to
    pass it to the network, so the event loop is not kept waiting for the interpreter."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names the server answers to besides the address it listens on and the loopback
    names (with host 0.0.0.0 also the machine's name; ``python -m app`` adds its network
    addresses); "*" answers any (see docs/security.md). Environment: comma-separated."""
    allow_origins: tuple[str, ...] = ()
    """Origins (``scheme://host[:port]``) of pages elsewhere allowed to open websockets and send
    changes, besides the server's own pages. Environment: comma-separated."""
    allow_testserver: bool = False
    """Also answer to the host name "testserver" (what Starlette's TestClient sends): tests."""
    data_dir: Path | None = None
    """Folder of the run store (runs.sqlite3), where runs are recorded; None: runs are not
    recorded (``python -m app`` always records: --data-dir, default the per-user data folder).
    See docs/runs.md."""
    database_url: str | None = None
    """A ``postgresql+psycopg://`` (or ``sqlite:///``) URL: the run store there instead of in
    data_dir; several app instances may share one PostgreSQL store."""
    sweep_workers: int = 1
    """Worker processes of each sweep (they run at a lower OS priority than the sessions)."""
    dask_scheduler: str | None = None
    """Address of an existing Dask scheduler (``tcp://host:8786``): sweeps run their trials
    there instead of in local worker processes (docs/tuning.md)."""
    templates_dir: Path = field(default_factory=lambda: web_dir("templates"))
    static_dir: Path = field(default_factory=lambda: web_dir("static"))

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check(f.name, getattr(self, f.name))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``BACKPROP_*`` variables, then ``overrides``. Raises SettingsError."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            key = "BACKPROP_" + f.name.upper()
            if key in env:
                values[f.name] = _parse(f.name, env[key], cls.__dataclass_fields__[f.name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# name -> (lowest, highest, lowest excluded): the range of each number
RANGES: dict[str, tuple[float, float, bool]] = {
    "port": (1, 65535, False),
    "max_sessions": (1, 100_000, False),
    "max_params": (1, 10**9, False),
    "max_work": (1, 10**15, False),
    "session_ttl_seconds": (0, 10**7, True),
    "unclaimed_ttl_seconds": (0, 10**7, True),
    "idle_pause_seconds": (0, 10**7, True),
    "max_message_bytes": (256, 16 * 1024 * 1024, False),
    "max_upload_bytes": (1, 1024**3, False),
    "commands_per_second": (0, 100_000, True),
    "fps": (0, 240, True),
    "grid_output": (2, 400, False),
    "grid_neurons": (2, 100, False),
    "max_viewers": (1, 100_000, False),
    "training_slots": (1, 1024, False),
    "switch_interval": (0, 1, True),
    "send_wait": (0, 1, False),
    "sweep_workers": (1, 64, False),
}


def _rule(lo: float, hi: float, open_lo: bool, integer: bool) -> str:
    kind = "a whole number" if integer else "a number"
    return f"{kind} {'>' if open_lo else '≥'} {lo:g} and ≤ {hi:g}"


def _check(name: str, value: Any) -> None:
    """Raise SettingsError unless ``value`` suits the setting ``name``."""
    where = f"{name} (BACKPROP_{name.upper()})"
    if name == "host":
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(f"{where}: {value!r} is not allowed; it must be an address to "
                                "listen on, e.g. 127.0.0.1 or 0.0.0.0")
        return
    if name in ("allowed_hosts", "allow_origins"):
        if not isinstance(value, tuple) or not all(isinstance(v, str) and v.strip()
                                                   and v.isprintable() for v in value):
            raise SettingsError(f"{where}: {value!r} is not allowed; it must be a list of "
                                "names (comma-separated in the environment)")
        return
    if name == "allow_testserver":
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: {value!r} is not allowed; it must be true or false")
        return
    if name == "database_url":
        if value is not None and not (isinstance(value, str) and value.isprintable() and
                                      value.startswith(("postgresql", "sqlite:///"))):
            raise SettingsError(f"{where}: it must be a postgresql+psycopg://user@host/db "
                                "or sqlite:///path URL")
        return
    if name == "dask_scheduler":
        if value is not None and not (isinstance(value, str) and value.strip()
                                      and value.isprintable() and len(value) <= 200):
            raise SettingsError(f"{where}: {value!r} is not allowed; it must be a scheduler "
                                "address such as tcp://10.0.0.5:8786")
        return
    if name == "data_dir" and value is None:
        return
    if name.endswith("_dir"):
        if not isinstance(value, Path):
            raise SettingsError(f"{where}: {value!r} is not allowed; it must be a folder path")
        return
    lo, hi, open_lo = RANGES[name]
    integer = isinstance(Settings.__dataclass_fields__[name].default, int)
    ok_type = (isinstance(value, int) if integer else isinstance(value, int | float)) \
        and not isinstance(value, bool)
    if not ok_type or not math.isfinite(value) or not (
            (lo < value if open_lo else lo <= value) and value <= hi):
        raise SettingsError(f"{where}: {value!r} is not allowed; it must be "
                            + _rule(lo, hi, open_lo, integer))


def _parse(name: str, text: str, f: dataclasses.Field[Any]) -> Any:
    kind = type(f.default) if f.default is not dataclasses.MISSING else Path
    try:
        if name == "data_dir":
            return Path(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        if kind is Path:
            return Path(text)
        if kind is tuple:
            return tuple(part.strip() for part in text.split(",") if part.strip())
        if kind is bool:
            if text.strip().lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(text)
            return text.strip().lower() in ("1", "true", "yes")
        return text
    except ValueError as exc:
        raise SettingsError(f"BACKPROP_{name.upper()}={text!r} is not a valid "
                            f"{kind.__name__}") from exc
