"""``python -m app [--host H] [--port P]`` (installed: ``backprop-lab``): serve Backprop Lab
until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import logging
import socket
import sys
from pathlib import Path

import uvicorn

from . import __version__, security
from .main import create_app
from .settings import Settings, SettingsError
from .store import StoreOpenError, default_data_dir
from .store.setup import where

ALL_INTERFACES = ("0.0.0.0", "::", "")
PROBE_ADDRESS = "10.255.255.255"
"""A private address to ``connect()`` a UDP socket to: that sends no packet, it only makes the
system pick the interface (and so the address) it would route through."""


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses that other machines may reach (not loopback), from its
    host name and from the interface a route to a private network would use. Sends
    nothing."""
    found: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((PROBE_ADDRESS, 1))  # UDP: no packet leaves; only a route is chosen
            found.append(s.getsockname()[0])
    except OSError:
        pass
    out: list[str] = []
    for a in found:
        try:
            ip = ipaddress.ip_address(a)
        except ValueError:
            continue
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local) and a not in out:
            out.append(a)
    return out


def banner(host: str, port: int, addresses: list[str]) -> str:
    """What ``python -m app`` prints when it starts: where to open the page. Listening on
    every interface (0.0.0.0), it names the addresses others can open, or says where to find
    one."""
    if host in ("127.0.0.1", "localhost"):
        host = "127.0.0.1"
    if host not in ALL_INTERFACES:
        return f"Backprop Lab is running at http://{host}:{port}  (Ctrl-C stops it)"
    lines = [f"Backprop Lab is running at http://127.0.0.1:{port} on this machine  "
             "(Ctrl-C stops it)"]
    if addresses:
        lines += [f"  others on the network open http://{a}:{port}" for a in addresses]
    else:
        lines.append(f"  others on the network open http://<this machine's address on your "
                     f"network>:{port}")
    return "\n".join(lines)


def prog_name() -> str:
    """How the user started the server: the installed command or the module."""
    return "backprop-lab" if Path(sys.argv[0]).name == "backprop-lab" else "python -m app"


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` for uvicorn to listen on. Raises OSError: errno
    EADDRINUSE when another program holds the port, socket.gaierror for an unknown host."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        # as uvicorn does: a restart is not refused for the last run's closing connections
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def bind_failure(host: str, port: int, exc: OSError, prog: str) -> str:
    """Why the server cannot listen on ``host:port``, and what to do instead."""
    if isinstance(exc, socket.gaierror):
        return (f"--host {host}: not an address of this machine ({exc.strerror}); use 127.0.0.1 "
                "(this machine only) or 0.0.0.0 (every network)")
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another program, perhaps another "
                f"Backprop Lab, listens there).\n  Choose another port: make run PORT={port + 1}"
                f"  or  {prog} --port {port + 1}")
    if exc.errno == errno.EACCES:
        return (f"--port {port}: not allowed for this user (ports below 1024 need administrator "
                "rights); choose a port from 1024 to 65535, e.g. --port 8000")
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"--host {host}: not an address of this machine; use 127.0.0.1 (this machine "
                "only) or 0.0.0.0 (every network)")
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server that prints where to open the page once it listens, and only then."""

    def __init__(self, config: uvicorn.Config, announcement: str) -> None:
        super().__init__(config)
        self.announcement = announcement

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(self.announcement, flush=True)


def _names(values: list[str] | None) -> tuple[str, ...] | None:
    """Repeated, comma-separated command-line values as one tuple (None when not given)."""
    if values is None:
        return None
    return tuple(n.strip() for v in values for n in v.split(",") if n.strip())


def main(argv: list[str] | None = None) -> int:
    prog = prog_name()
    parser = argparse.ArgumentParser(prog=prog, description=(
        "Serve Backprop Lab. --host 0.0.0.0 serves the classroom network: anyone who can reach "
        "the machine can create sessions and watch any session whose link they have."))
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8000)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--allowed-hosts", action="append", metavar="NAMES", help=(
        "host names the server also answers to, comma-separated, repeatable (by default: "
        "the address it listens on, localhost, 127.0.0.1, [::1] and, with --host 0.0.0.0, this "
        "machine's name and addresses); '*' answers any (see docs/security.md)"))
    parser.add_argument("--allow-origin", action="append", metavar="ORIGIN", help=(
        "a page origin (scheme://host[:port]) elsewhere that may open websockets and send "
        "changes; repeatable"))
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help=(
        "folder where runs are recorded (default: $XDG_DATA_HOME/backprop-lab, else "
        "~/.local/share/backprop-lab); see docs/runs.md"))
    parser.add_argument("--database-url", metavar="URL", help=(
        "record runs in this database instead, e.g. postgresql+psycopg://user@host/db "
        "(several servers may share it)"))
    parser.add_argument("--dask-scheduler", metavar="ADDRESS", help=(
        "run sweeps' trials on this existing Dask scheduler (tcp://host:8786) instead of in "
        "local worker processes; see docs/tuning.md"))
    parser.add_argument("--sweep-workers", type=int, metavar="N", help=(
        "local worker processes per sweep (default 1); they run below the live sessions"))
    parser.add_argument("--log-level", default="warning",
                        choices=["critical", "error", "warning", "info", "debug"])
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(host=args.host, port=args.port,
                                     allowed_hosts=_names(args.allowed_hosts),
                                     allow_origins=_names(args.allow_origin),
                                     data_dir=args.data_dir, database_url=args.database_url,
                                     dask_scheduler=args.dask_scheduler,
                                     sweep_workers=args.sweep_workers)
        if settings.data_dir is None and settings.database_url is None:
            settings.data_dir = default_data_dir()
        if settings.host in ALL_INTERFACES:  # students open the machine's network address
            settings.allowed_hosts = (*settings.allowed_hosts, *lan_addresses())
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    # training threads hold the interpreter between NumPy calls; a short switch interval
    # gives the event loop (websockets) its turn quickly
    sys.setswitchinterval(settings.switch_interval)
    try:
        sock = listening_socket(settings.host, settings.port)
    except OSError as exc:
        print(f"error: {bind_failure(settings.host, settings.port, exc, prog)}", file=sys.stderr)
        return 1
    print(f"Backprop Lab: {where(settings)}", flush=True)
    try:
        app = create_app(settings)
    except StoreOpenError as exc:
        sock.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    config = uvicorn.Config(app, host=settings.host, port=settings.port,
                            log_level=args.log_level, ws_max_size=4 * settings.max_message_bytes,
                            timeout_graceful_shutdown=3, lifespan="on")
    security.install_log_filters()  # no token in the access log (after uvicorn's logging)
    server = AnnouncingServer(config, banner(
        settings.host, settings.port, lan_addresses() if settings.host in ALL_INTERFACES else []))
    with sock:
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        except SystemExit:  # uvicorn exits when the app fails to start; it has said why
            pass
    if not server.started:
        print(f"error: Backprop Lab did not start on {settings.host}:{settings.port}",
              file=sys.stderr)
        return 1
    print("Backprop Lab stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
