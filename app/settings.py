"""Server settings, in one place. Every field can be set from the environment as
``BACKPROP_<FIELD>`` (for example ``BACKPROP_MAX_SESSIONS=20``)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting from the environment that cannot be read."""


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    max_sessions: int = 50
    """Sessions the server holds at once; creating one more answers 503."""
    max_params: int = 600_000
    """Parameters (weights and biases) allowed in one session's network."""
    session_ttl_seconds: float = 3600.0
    """A session with no connected client for this long is closed."""
    max_message_bytes: int = 65536
    """Largest websocket command accepted."""
    max_upload_bytes: int = 2 * 1024 * 1024
    """Largest CSV upload accepted."""
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
    templates_dir: Path = field(default_factory=lambda: ROOT / "templates")
    static_dir: Path = field(default_factory=lambda: ROOT / "static")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``BACKPROP_*`` variables, then ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            key = "BACKPROP_" + f.name.upper()
            if key in env:
                values[f.name] = _parse(f.name, env[key], cls.__dataclass_fields__[f.name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _parse(name: str, text: str, f: dataclasses.Field[Any]) -> Any:
    kind = type(f.default) if f.default is not dataclasses.MISSING else Path
    try:
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        if kind is Path:
            return Path(text)
        return text
    except ValueError as exc:
        raise SettingsError(f"BACKPROP_{name.upper()}={text!r} is not a valid "
                            f"{kind.__name__}") from exc
