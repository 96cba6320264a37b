"""Web hardening: the host names the server answers to, the pages allowed to drive it, the
headers every answer carries, tokens kept out of the logs and internal errors answered with an
id. See docs/security.md.

``WebGuard`` is a pure ASGI middleware. For every HTTP request and websocket handshake it
checks the ``Host`` header against the allowlist (a page on ``evil.example`` whose name was
rebound to this machine's address sends ``Host: evil.example``: ``400``). A websocket
handshake, and an HTTP request that can change something (POST, PUT, PATCH, DELETE), that
carries an ``Origin`` must come from the page's own origin (same scheme, host and port as the
``Host`` header) or one named by ``allow_origins`` (``403``). A request without ``Origin``
(a program, not a browser page) passes. Every HTTP answer gets the security headers
(Content-Security-Policy, X-Frame-Options, Referrer-Policy, X-Content-Type-Options).
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import json
import logging
import re
import secrets
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .limits import short

log = logging.getLogger("app.security")

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
ALL_INTERFACES = ("0.0.0.0", "::", "")
TEST_CLIENT_HOST = "testserver"
"""The host name Starlette's TestClient sends; allowed only when ``allow_testserver`` is set."""
ANY_HOST = "*"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
API_PAGES = ("/docs", "/redoc")
"""Pages whose policy is made from their own contents (see ``docs_policy``)."""
DEFAULT_PORTS = {"http": 80, "https": 443}

# the template's one inline handler (the controls form: onsubmit="return false")
INLINE_HANDLERS = ("return false",)


def _sha256(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def page_policy(host: str) -> str:
    """The Content-Security-Policy of the page (and of every other answer): scripts, styles,
    fonts and images from the server itself, data: images (the favicon), websockets to the
    same host, no frames, no plugins. Style attributes are allowed (views colour swatches with
    them); style elements are not."""
    sockets = f" ws://{host} wss://{host}" if SAFE_HOST.match(host) else ""
    handlers = " ".join(_sha256(h) for h in INLINE_HANDLERS)
    return ("default-src 'self'; "
            f"script-src 'self' 'unsafe-hashes' {handlers}; "
            "style-src 'self' 'unsafe-inline'; style-src-elem 'self'; "
            "style-src-attr 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self'; "
            f"connect-src 'self'{sockets}; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
TAG_URL = re.compile(rb"<(script|link)\b[^>]*?\b(?:src|href)=[\"'](https?://[^\"']+)[\"']", re.I)


def docs_policy(html: bytes) -> str:
    """The policy of an API page (Swagger UI at ``/docs``, ReDoc at ``/redoc``): exactly its
    inline scripts (by hash), the origins of the scripts and style sheets it names, inline
    styles, data: images, workers from blobs, and fetches from the server (the API
    description)."""
    hashes = [_sha256(m.group(1).decode("utf-8", "replace")) for m in INLINE_SCRIPT.finditer(html)]
    scripts: list[str] = []
    styles: list[str] = []
    for m in TAG_URL.finditer(html):
        url = urlsplit(m.group(2).decode("latin-1"))
        origin = f"{url.scheme}://{url.netloc}"
        kind = scripts if m.group(1).lower() == b"script" else styles
        if origin not in kind:
            kind.append(origin)
    script_src = " ".join(["'self'", *scripts, *hashes])
    style_src = " ".join(["'self'", *styles, "'unsafe-inline'"])
    img_src = " ".join(["'self'", "data:", *styles])
    return ("default-src 'self'; "
            f"script-src {script_src}; style-src {style_src}; img-src {img_src}; "
            "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'")


FIXED_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
)


def security_headers(host: str, policy: str | None = None) -> dict[str, str]:
    """The security headers, as a dict (for a response made outside the middleware)."""
    out = {k.decode(): v.decode() for k, v in FIXED_HEADERS}
    out["content-security-policy"] = policy or page_policy(host)
    return out


# ------------------------------------------------------------------ hosts and origins
def host_name(host_header: str) -> str:
    """The name in a Host header or an origin's netloc: no port, no IPv6 brackets, lower
    case, no trailing dot."""
    h = host_header.strip().lower()
    if h.startswith("["):
        h = h[1:h.find("]")] if "]" in h else h[1:]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def default_hosts(bound: str, lan: Iterable[str] = ()) -> list[str]:
    """The names the server answers to unless told more: the address it listens on, the
    loopback names and, listening on every interface, the machine's name (and its ``.local``
    form) and the given network addresses."""
    out = [host_name(bound)] if bound not in ALL_INTERFACES else []
    out += list(LOOPBACK_HOSTS)
    if bound in ALL_INTERFACES:
        name = socket.gethostname().lower()
        if name:
            out += [name, name.split(".")[0] + ".local"]
        out += [host_name(a) for a in lan]
    return list(dict.fromkeys(h for h in out if h))


def origin_of(scheme: str, host_header: str) -> str:
    """The origin a page served at ``host_header`` has: ``scheme://host[:port]`` with the
    default port left out, lower case."""
    netloc = host_header.strip().lower()
    port = netloc.rsplit(":", 1)[1] if netloc.count(":") == 1 or "]:" in netloc else ""
    if port and port.isdigit() and int(port) == DEFAULT_PORTS.get(scheme):
        netloc = netloc[: -len(port) - 1]
    return f"{scheme}://{netloc}"


class HostPolicy:
    """Which Host headers and Origins the server accepts."""

    def __init__(self, hosts: Iterable[str], origins: Iterable[str] = ()) -> None:
        names = [h.strip().lower() for h in hosts if h.strip()]
        self.any_host = ANY_HOST in names
        self.hosts = {host_name(h) for h in names if h != ANY_HOST}
        self.origins = {o.strip().lower().rstrip("/") for o in origins if o.strip()}

    def allows_host(self, host_header: str | None) -> bool:
        if not host_header:
            return False
        return self.any_host or host_name(host_header) in self.hosts

    def allows_origin(self, origin: str | None, scheme: str, host_header: str) -> bool:
        """No Origin (not a browser page): allowed. Otherwise the page's own origin or one
        named in ``allow_origins``. ``scheme`` is the page's: http for ws, https for wss."""
        if origin is None:
            return True
        o = origin.strip().lower().rstrip("/")
        if o in self.origins:
            return True
        if o == "null":
            return False
        split = urlsplit(o)
        return origin_of(split.scheme, split.netloc) == origin_of(scheme, host_header)


def settings_policy(settings: Any) -> HostPolicy:
    """The HostPolicy of ``settings``: the default names, ``allowed_hosts``, ``testserver``
    when ``allow_testserver`` is set, and ``allow_origins``."""
    hosts = default_hosts(settings.host) + list(settings.allowed_hosts)
    if settings.allow_testserver:
        hosts.append(TEST_CLIENT_HOST)
    return HostPolicy(hosts, settings.allow_origins)


# ------------------------------------------------------------------------ middleware
_refused: contextvars.ContextVar[bool] = contextvars.ContextVar("guard_refused", default=False)
INCOMPLETE_HANDSHAKE = "ASGI callable returned without completing handshake."


class RefusalLogFilter(logging.Filter):
    """Drop the server's "returned without completing handshake" error for a websocket this
    middleware refused with an HTTP status (marked in the connection's own context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_refused.get() and record.getMessage() == INCOMPLETE_HANDSHAKE)


REFUSAL_LOG_FILTER = RefusalLogFilter()


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


BAD_HOST = "host_not_allowed"
BAD_ORIGIN = "origin_not_allowed"
INTERNAL_ERROR = "internal_error"
"""The codes of this module's answers (``code`` beside ``detail``)."""


def bad_host_message(host: str | None) -> str:
    if not host:
        return "the request has no Host header; this server needs one"
    return (f"this server does not answer to the host name {short(host)!r} (Host header); "
            "open it by the address it printed when it started, or start it with "
            f"--allowed-hosts {short(host_name(host), 60)} to allow that name")


def bad_origin_message(origin: str) -> str:
    return (f"a page from {short(origin)!r} may not use this server (Origin header); only its "
            "own pages may, and origins named with --allow-origin")


class WebGuard:
    """Host allowlist, Origin check and security headers (see the module docstring)."""

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host, origin = headers.get("host"), headers.get("origin")
        if kind == "websocket":
            page_scheme = "https" if scope.get("scheme") == "wss" else "http"
            if not self.policy.allows_host(host):
                await _refuse_socket(scope, receive, send, 400, BAD_HOST, bad_host_message(host))
            elif not self.policy.allows_origin(origin, page_scheme, host or ""):
                await _refuse_socket(scope, receive, send, 403, BAD_ORIGIN,
                                     bad_origin_message(origin or ""))
            else:
                await self.app(scope, receive, send)
            return
        if not self.policy.allows_host(host):
            await _answer(send, 400, BAD_HOST, bad_host_message(host), host or "")
            return
        if scope.get("method") in UNSAFE_METHODS and not self.policy.allows_origin(
                origin, scope.get("scheme", "http"), host or ""):
            await _answer(send, 403, BAD_ORIGIN, bad_origin_message(origin or ""), host or "")
            return
        if scope.get("path") in API_PAGES:
            await self.app(scope, receive, _docs_sender(send, host or ""))
            return
        fixed = _header_list(host or "")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _with_headers(message, fixed)
            await send(message)

        await self.app(scope, receive, sending)


def _header_list(host: str, policy: str | None = None) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in security_headers(host, policy).items()]


def _with_headers(message: Message, extra: Sequence[tuple[bytes, bytes]]) -> Message:
    """The response start with each security header added unless the route set its own."""
    present = {k.lower() for k, _ in message.get("headers", [])}
    headers = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in present]
    return {**message, "headers": headers}


def _docs_sender(send: Send, host: str) -> Send:
    """A sender that holds an API page back until it is whole, then sends it with a policy
    made from its own contents."""
    start: Message | None = None
    body = bytearray()

    async def sending(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        extra = _header_list(host, docs_policy(bytes(body)))
        await send(_with_headers({**start, "headers": headers}, extra))
        await send({"type": "http.response.body", "body": bytes(body)})

    return sending


async def _answer(send: Send, status: int, code: str, message: str, host: str) -> None:
    body = json.dumps({"detail": message, "code": code}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            *_header_list(host)]})
    await send({"type": "http.response.body", "body": body})


async def _refuse_socket(scope: Scope, receive: Receive, send: Send, status: int, code: str,
                         message: str) -> None:
    """Refuse a websocket handshake with an HTTP status and {"detail", "code"} where the server
    can send one, else by closing before accepting (which servers answer 403)."""
    connect = await receive()
    if connect.get("type") != "websocket.connect":
        return
    if "websocket.http.response" in (scope.get("extensions") or {}):
        _refused.set(True)
        body = json.dumps({"detail": message, "code": code}).encode()
        await send({"type": "websocket.http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 4000 + status, "reason": message[:120]})


# ---------------------------------------------------------------------- logs, errors
SECRET_PARAM = re.compile(r"([?&;](?:[\w.-]*token|[\w.-]*key|code|owner)=)[^&\s\"']*", re.I)
SECRET_FRAGMENT = re.compile(r"(#(?:[\w.-]*token|[\w.-]*key)=)[^&\s\"']*", re.I)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the values of token, key, code and owner parameters replaced by
    [redacted]."""
    return SECRET_FRAGMENT.sub(r"\1" + REDACTED, SECRET_PARAM.sub(r"\1" + REDACTED, text))


class RedactFilter(logging.Filter):
    """Rewrite log records so that no token (or any other key) in a URL reaches the log: the
    server's access log and its websocket lines quote the path with its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v
                           for k, v in record.args.items()}
        return True


REDACT_FILTER = RedactFilter()
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")


def install_log_filters() -> None:
    """Redact secrets from the server's own log lines and hide the noise of refused
    websockets (adding a filter twice keeps one)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        logger.addFilter(REDACT_FILTER)
        logger.addFilter(REFUSAL_LOG_FILTER)


def internal_error(request: Request, exc: BaseException) -> JSONResponse:
    """The answer to an error no route handled: 500 with a short random id, logged with the
    same id and the traceback, so a report can be matched to its log line."""
    error_id = secrets.token_hex(4)
    log.error("internal error %s on %s %s: %s", error_id, request.method,
              redact(str(request.url.path)), type(exc).__name__, exc_info=exc)
    host = request.headers.get("host", "")
    return JSONResponse(
        {"detail": f"internal error {error_id}: the server could not answer this request; "
                   "quote the id when you report it", "code": INTERNAL_ERROR,
         "error_id": error_id},
        status_code=500, headers=security_headers(host))
