"""``python -m app [--host H] [--port P]``: serve Backprop Lab until Ctrl-C."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import sys

import uvicorn

from .main import create_app
from .settings import Settings, SettingsError

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=(
        "Serve Backprop Lab. --host 0.0.0.0 serves the classroom network: anyone who can reach "
        "the machine can create sessions and watch any session whose link they have."))
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8000)")
    parser.add_argument("--log-level", default="warning",
                        choices=["critical", "error", "warning", "info", "debug"])
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(host=args.host, port=args.port)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    # training threads hold the interpreter between NumPy calls; a short switch interval
    # gives the event loop (websockets) its turn quickly
    sys.setswitchinterval(settings.switch_interval)
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port,
                            log_level=args.log_level, ws_max_size=4 * settings.max_message_bytes,
                            timeout_graceful_shutdown=3, lifespan="on")
    server = uvicorn.Server(config)
    print(banner(settings.host, settings.port,
                 lan_addresses() if settings.host in ALL_INTERFACES else []), flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    if not server.started:
        print(f"error: could not serve on {settings.host}:{settings.port}", file=sys.stderr)
        return 1
    print("Backprop Lab stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
