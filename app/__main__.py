"""``python -m app [--host H] [--port P]``: serve Backprop Lab until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from .main import create_app
from .settings import Settings, SettingsError


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
    shown = "127.0.0.1" if settings.host in ("127.0.0.1", "localhost") else settings.host
    print(f"Backprop Lab is running at http://{shown}:{settings.port}  (Ctrl-C stops it)",
          flush=True)
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
