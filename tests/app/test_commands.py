"""The one command table drives the websocket: lookup, roles, fields (pydantic), the race
filter and docs/protocol.md; every refusal is one error type with a code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from app_helpers import connect, create, opened

from app import protocol_doc
from app.codes import CODES
from app.commands import COMMANDS, RACE_COMMANDS

APP = Path(__file__).resolve().parents[2] / "app"


@pytest.mark.parametrize("message, code, field", [
    ({"type": "dance"}, "unknown_command", "type"),
    ({"type": "set"}, "missing_field", "config"),
    ({"type": "speed"}, "missing_field", "steps_per_second"),
    ({"type": "set_weight", "layer": 0, "row": 0, "value": 1}, "missing_field", "col"),
    ({"type": "step", "n": "3"}, "wrong_type", "n"),
    ({"type": "freeze", "layer": 0, "frozen": 1}, "wrong_type", "frozen"),
    ({"type": "set", "config": [1]}, "wrong_type", "config"),
    ({"type": "step", "n": 0}, "out_of_range", "n"),
    ({"type": "play", "until": 0}, "out_of_range", "until"),
    ({"type": "predict", "raw": [[0, 0]] * 65}, "too_large", "raw"),
])
def test_the_table_refuses_a_bad_command_with_its_code_and_field(client, message, code, field):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(id=9, **message)
        e = r.event("error")
        assert e["code"] == code and e["field"] == field and e["id"] == 9, e
        assert e["message"].startswith(f"{field}: "), e


def test_a_command_the_table_allows_is_acknowledged_with_its_checked_fields(client):
    s = create(client)
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="step", n=3.0, id="a", extra="ignored")  # 3.0 is a whole number
        assert r.event("ack") == {"type": "ack", "id": "a", "command": "step"}
        header, _ = r.frame(where=lambda h: h["step"] == 3)
        assert header["step"] == 3


def test_viewers_may_send_only_the_commands_the_table_gives_every_role(client):
    s = create(client)
    viewer_commands = {n for n, spec in COMMANDS.items() if "viewer" in spec.roles}
    assert viewer_commands == {"ping", "resync", "predict"}
    with connect(client, s, token=False) as ws:
        r = opened(ws)
        for name in sorted(set(COMMANDS) - viewer_commands):
            r.send(type=name, id=name)
            e = r.event("error")
            assert e["code"] == "read_only" and e["id"] == name, e


def test_a_race_session_refuses_the_commands_the_table_keeps_from_races(client):
    runners = [{"label": "a", "lr": 0.1}, {"label": "b", "lr": 0.01}]
    s = create(client, config={"data": "xor", "layers": [4]},
               race={"runners": runners, "target": {"metric": "train_loss", "value": 0.1}})
    refused = [n for n, spec in COMMANDS.items() if not spec.race]
    assert refused and set(RACE_COMMANDS).isdisjoint(refused)
    with connect(client, s) as ws:
        r = opened(ws)
        for name in refused:
            r.send(type=name, id=name, layer=0, row=0, col=0, value=0.0, frozen=True)
            e = r.event("error")
            assert e["code"] == "not_in_race" and e["id"] == name, e
            assert e["allowed"] == list(RACE_COMMANDS)


def test_docs_protocol_lists_every_command_and_code_and_is_current():
    text = protocol_doc.DOC.read_text(encoding="utf-8")
    assert protocol_doc.render(text) == text, "run: python -m app.protocol_doc"
    for name in COMMANDS:
        assert f"| `{name}` |" in text, name
    for code in CODES:
        assert f"| `{code}` |" in text, code


def test_every_code_the_app_names_in_its_source_is_in_the_table():
    """Codes are written as the first argument of AppError(...), s.notice(...) and the
    ``"code": ...`` of an event dict: each must be a key of CODES."""
    named: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                at = {"AppError": 0, "notice": 0, "notice_event": 0, "_deny": 2}.get(name)
                if at is not None and len(node.args) > at and isinstance(
                        node.args[at], ast.Constant) and isinstance(node.args[at].value, str):
                    named.add(node.args[at].value)
            if isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == "code" and isinstance(
                            v, ast.Constant) and isinstance(v.value, str):
                        named.add(v.value)
    assert named and named <= set(CODES), named - set(CODES)


def test_a_live_set_is_validated_once_per_trainer(client, monkeypatch):
    from engine import config as cfgmod

    calls: list[dict] = []
    real = cfgmod.validate

    def counting(raw, base=None):
        calls.append(dict(raw) if isinstance(raw, dict) else {})
        return real(raw, base)

    s = create(client)
    runners = [{"label": "a", "optimizer": "sgd"}, {"label": "b", "optimizer": "adam"}]
    race = create(client, config={"data": "xor", "layers": [4]},
                  race={"runners": runners, "target": {"metric": "train_loss", "value": 0.1}})
    for session, trainers in ((s, 1), (race, 2)):
        with connect(client, session) as ws:
            r = opened(ws)
            monkeypatch.setattr(cfgmod, "validate", counting)
            calls.clear()
            r.send(type="set", config={"lr": 0.05}, id=1)
            assert r.event("ack")["id"] == 1
            assert r.event("config")["config"]["lr"] == 0.05
            monkeypatch.setattr(cfgmod, "validate", real)
            assert calls == [{"lr": 0.05}] * trainers


def test_the_last_trainable_layer_cannot_be_frozen(client):
    s = create(client, config={"data": "spiral", "layers": [4]})
    with connect(client, s) as ws:
        r = opened(ws)
        r.send(type="freeze", layer=0, frozen=True, id=1)
        assert r.event("ack")["id"] == 1
        assert r.event("config")["config"]["freeze"] == [0]
        r.send(type="freeze", layer=1, frozen=True, id=2)
        e = r.event("error")
        assert e["code"] == "last_trainable_layer" and e["field"] == "layer" and e["value"] == 1
        r.send(type="freeze", layer=0, frozen=False, id=3)
        assert r.event("config")["config"]["freeze"] == []
