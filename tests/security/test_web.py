"""Finding 10, the web layer: Host allowlist, Origin checks, security headers, short echoes
and internal errors answered with an id."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import WebSocketDenialResponse

from app import security
from app.__main__ import _names
from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]

SPIRAL = {"config": {"data": "spiral", "layers": [4]}}


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# --------------------------------------------------------------------------- Host
def test_a_foreign_host_is_refused_with_400_and_never_echoed_into_links(client):
    r = client.post("/api/sessions", json=SPIRAL, headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert r.json()["code"] == "host_not_allowed"
    detail = r.json()["detail"]
    assert "evil.example" in detail and "--allowed-hosts" in detail and "Host" in detail
    assert client.get("/api/health").json()["sessions"] == 0  # nothing was made
    for path in ("/", "/api/health", "/static/js/app.js", "/docs"):
        assert client.get(path, headers={"Host": "evil.example:8000"}).status_code == 400


def test_an_allowed_host_is_the_one_in_the_links(make_client):
    c = make_client(base_url="http://127.0.0.1:8123")
    s = c.post("/api/sessions", json=SPIRAL).json()
    assert s["control_url"].startswith("http://127.0.0.1:8123/s/")
    assert s["ws_url"].startswith("ws://127.0.0.1:8123/ws/")
    for host in ("localhost:8123", "LOCALHOST", "[::1]:8123", "127.0.0.1"):
        assert c.get("/api/health", headers={"Host": host}).status_code == 200, host


def test_the_test_client_name_is_allowed_only_when_the_settings_say_so(settings):
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/health").status_code == 200
    settings.allow_testserver = False
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/health").status_code == 400


def test_allowed_hosts_adds_names_and_a_star_answers_any(make_client):
    c = make_client(allowed_hosts=("lab.school.example",))
    assert c.get("/api/health", headers={"Host": "lab.school.example:80"}).status_code == 200
    assert c.get("/api/health", headers={"Host": "localhost"}).status_code == 200
    assert c.get("/api/health", headers={"Host": "other.example"}).status_code == 400
    star = make_client(allowed_hosts=("*",))
    assert star.get("/api/health", headers={"Host": "other.example"}).status_code == 200


def test_default_hosts_follow_the_bound_address():
    local = security.default_hosts("127.0.0.1")
    assert set(local) == {"127.0.0.1", "localhost", "::1"}
    everywhere = security.default_hosts("0.0.0.0", ["192.168.1.20"])
    assert "192.168.1.20" in everywhere and "localhost" in everywhere
    assert "0.0.0.0" not in everywhere
    assert security.default_hosts("10.0.0.5") == ["10.0.0.5", "localhost", "127.0.0.1", "::1"]


def test_command_line_names_are_repeatable_and_comma_separated():
    assert _names(["a.example,b.example", " c.example "]) == ("a.example", "b.example",
                                                               "c.example")
    assert _names(None) is None


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
               max_size=300))
def test_any_unknown_host_header_is_a_clean_400(host):
    policy = security.HostPolicy(security.default_hosts("127.0.0.1"))
    if policy.allows_host(host):
        return
    app = create_app(_settings())
    with TestClient(app, raise_server_exceptions=True) as c:
        r = c.get("/api/health", headers={"Host": host})
    assert r.status_code == 400
    assert len(r.json()["detail"]) < 400


def _settings():
    from app.settings import Settings

    return Settings(templates_dir=ROOT / "templates", static_dir=ROOT / "static")


# ------------------------------------------------------------------------- Origin
def _sid(c: TestClient) -> str:
    return c.post("/api/sessions", json=SPIRAL).json()["id"]


def test_a_websocket_from_another_site_is_refused(client):
    sid = _sid(client)
    with pytest.raises(WebSocketDenialResponse) as e:
        with client.websocket_connect(f"/ws/{sid}", headers={"Origin": "http://evil.example"}):
            pass
    assert e.value.status_code == 403
    assert "evil.example" in e.value.json()["detail"]
    assert e.value.json()["code"] == "origin_not_allowed"
    for origin in ("null", "http://testserver.evil.example", "https://testserver",
                   "http://testserver:8080"):
        with pytest.raises(WebSocketDenialResponse):
            with client.websocket_connect(f"/ws/{sid}", headers={"Origin": origin}):
                pass


def test_a_websocket_from_the_page_itself_or_a_program_is_accepted(client):
    sid = _sid(client)
    for headers in ({"Origin": "http://testserver"}, {"Origin": "HTTP://TestServer:80"}, {}):
        with client.websocket_connect(f"/ws/{sid}", headers=headers) as ws:
            assert ws.receive_json()["type"] == "hello"


def test_allow_origin_admits_a_named_page_elsewhere(make_client):
    c = make_client(allow_origins=("https://lab.school.example",))
    sid = _sid(c)
    with c.websocket_connect(f"/ws/{sid}",
                             headers={"Origin": "https://lab.school.example"}) as ws:
        assert ws.receive_json()["type"] == "hello"


def test_a_websocket_to_a_foreign_host_is_refused_with_400(client):
    sid = _sid(client)
    with pytest.raises(WebSocketDenialResponse) as e:
        with client.websocket_connect(f"/ws/{sid}", headers={"Host": "evil.example"}):
            pass
    assert e.value.status_code == 400
    assert e.value.json()["code"] == "host_not_allowed"


def test_changes_from_another_site_are_refused_but_reads_are_not(client):
    r = client.post("/api/sessions", json=SPIRAL, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "Origin" in r.json()["detail"]
    assert r.json()["code"] == "origin_not_allowed"
    assert client.get("/api/health").json()["sessions"] == 0
    s = client.post("/api/sessions", json=SPIRAL, headers={"Origin": "http://testserver"})
    assert s.status_code == 201
    sid, token = s.json()["id"], s.json()["token"]
    r = client.delete(f"/api/sessions/{sid}", headers={"X-Control-Token": token,
                                                       "Origin": "http://evil.example"})
    assert r.status_code == 403
    assert client.get(f"/api/sessions/{sid}",
                      headers={"Origin": "http://evil.example"}).status_code == 200


# ------------------------------------------------------------------------ headers
@pytest.mark.parametrize("path", ["/", "/api/health", "/static/js/app.js", "/api/nope",
                                  "/api/sessions/nope", "/openapi.json"])
def test_every_answer_carries_the_security_headers(client, path):
    r = client.get(path)
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "connect-src 'self' ws://testserver wss://testserver" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_refusals_carry_the_security_headers_too(client):
    for r in (client.get("/", headers={"Host": "evil.example"}),
              client.post("/api/sessions", json=SPIRAL, headers={"Origin": "http://x.example"}),
              client.post("/api/sessions", content=b"x" * 70_000)):
        assert r.headers["x-frame-options"] == "DENY", r.status_code
        assert "content-security-policy" in r.headers


def _template_text() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "templates").rglob("*.html")))


def test_the_page_policy_allows_exactly_the_pages_inline_handlers_and_no_inline_script():
    html = _template_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script> in templates/"
    handlers = re.findall(r"\son[a-z]+=\"([^\"]*)\"", html)
    policy = security.page_policy("testserver")
    for h in handlers:
        assert sha(h) in policy, f"inline handler {h!r} is not allowed by the page's policy"
    assert set(security.INLINE_HANDLERS) == set(handlers)


def test_the_page_scripts_build_no_style_elements_or_inline_scripts():
    js = "\n".join(p.read_text() for p in (ROOT / "static").rglob("*.js"))
    assert "<style" not in js and "<script" not in js
    assert "eval(" not in js and "new Function" not in js


def test_the_api_page_allows_exactly_its_own_inline_scripts(client):
    r = client.get("/docs")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", r.text, re.S)
    assert inline, "the API page is expected to start itself with an inline script"
    for body in inline:
        assert sha(body) in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert int(r.headers["content-length"]) == len(r.content)


# ------------------------------------------------------------------ internal errors
def test_an_unhandled_error_answers_500_with_an_id_that_the_log_line_carries(settings, caplog):
    app = create_app(settings)

    @app.get("/api/boom")
    def boom() -> None:
        raise ValueError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c, \
            caplog.at_level(logging.ERROR, logger="app.security"):
        r = c.get("/api/boom?token=abc")
    assert r.status_code == 500
    body = r.json()
    error_id = body["error_id"]
    assert re.fullmatch(r"[0-9a-f]{8}", error_id)
    assert error_id in body["detail"] and "secret internals" not in r.text
    assert body["code"] == "internal_error"
    assert r.headers["x-frame-options"] == "DENY"
    lines = [rec for rec in caplog.records if error_id in rec.getMessage()]
    assert lines and lines[0].exc_info is not None
    assert "/api/boom" in lines[0].getMessage()


def test_the_500_hook_fails_a_test_that_got_a_500(settings):
    from tests.security.conftest import fail_on_500

    app = create_app(settings)

    @app.get("/api/boom")
    def boom() -> None:
        raise ValueError("x")

    with TestClient(app, raise_server_exceptions=False) as c:
        c.event_hooks["response"].append(fail_on_500)
        with pytest.raises(pytest.fail.Exception, match="answered 500"):
            c.get("/api/boom")


# ---------------------------------------------------------------------- redaction
@pytest.mark.parametrize("line, secret", [
    ('127.0.0.1:5000 - "GET /ws/abc?token=SeCrEt-123_x HTTP/1.1" 101', "SeCrEt-123_x"),
    ('"GET /api/x?a=1&owner_key=K3Y&b=2 HTTP/1.1" 200', "K3Y"),
    ('"GET /s/abc#token=T0K HTTP/1.1"', "T0K"),
    ('"GET /join?code=C0DE HTTP/1.1"', "C0DE"),
    ('"GET /api/runs?owner=0WNER&tag=a HTTP/1.1"', "0WNER"),
])
def test_redact_removes_token_and_key_values(line, secret):
    out = security.redact(line)
    assert secret not in out and security.REDACTED in out


def test_the_filter_redacts_access_log_arguments():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", "/ws/a?token=abc", "1.1", 101), None)
    assert security.REDACT_FILTER.filter(record)
    assert "abc" not in record.getMessage() and "token=[redacted]" in record.getMessage()


# ----------------------------------------------------------------------- settings
def test_security_settings_read_from_the_environment():
    from app.settings import Settings

    s = Settings.from_env({"BACKPROP_ALLOWED_HOSTS": "lab.example, , other.example",
                           "BACKPROP_ALLOW_ORIGINS": "https://a.example",
                           "BACKPROP_ALLOW_TESTSERVER": "yes"})
    assert s.allowed_hosts == ("lab.example", "other.example")
    assert s.allow_origins == ("https://a.example",)
    assert s.allow_testserver is True


@pytest.mark.parametrize("env, name", [
    ({"BACKPROP_ALLOW_TESTSERVER": "maybe"}, "BACKPROP_ALLOW_TESTSERVER"),
])
def test_a_bad_security_setting_in_the_environment_is_refused_by_name(env, name):
    from app.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)


@pytest.mark.parametrize("name, value", [
    ("allowed_hosts", "lab.example"), ("allowed_hosts", ("",)), ("allow_origins", (3,)),
    ("allow_testserver", "yes"),
])
def test_a_bad_security_setting_is_refused_by_name(name, value):
    from app.settings import Settings, SettingsError

    with pytest.raises(SettingsError) as e:
        Settings(**{name: value})
    assert str(e.value).startswith(f"{name} (BACKPROP_{name.upper()}): ")


def test_the_redoc_page_gets_a_policy_made_from_itself(client):
    r = client.get("/redoc")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    for url in re.findall(r'<script[^>]*\bsrc="(https?://[^/"]+)', r.text):
        assert url in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
