import csv
import io
import time

import pytest
from app_helpers import create

from engine.serialize import decode


def test_create_from_preset_with_overrides(client):
    s = create(client, preset="xor", config={"lr": 0.01})
    assert s["config"]["data"] == "xor" and s["config"]["lr"] == 0.01
    assert s["viewer_url"].endswith(f"/view/{s['id']}")
    assert s["control_url"].endswith(f"/s/{s['id']}#token={s['token']}")
    assert s["ws_url"].startswith("ws") and s["ws_url"].endswith(f"/ws/{s['id']}")


def test_create_with_defaults_is_the_spiral_run(client):
    assert create(client)["config"]["data"] == "spiral"


@pytest.mark.parametrize("body, field", [
    ({"config": {"lr": 0}}, "lr"),
    ({"config": {"layers": [8, "x"]}}, "layers"),
    ({"config": {"learning_rate": 0.1}}, "learning_rate"),
    ({"config": {"data": "mnist"}}, "data"),
    ({"preset": "nope"}, "preset"),
    ({"config": "lr=0.1"}, "config"),
])
def test_invalid_configuration_answers_422_naming_the_field(client, body, field):
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["field"] == field
    assert field in detail[0]["message"]


def test_network_over_the_parameter_cap_is_refused(make_client):
    c = make_client(max_params=1000)
    r = c.post("/api/sessions", json={"config": {"layers": [64, 64]}})
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert d["field"] == "layers" and "1,000" in d["message"]


def test_a_full_server_answers_503_only_when_every_session_has_a_client(make_client):
    c = make_client(max_sessions=2)
    a, b = create(c), create(c)
    with c.websocket_connect(f"/ws/{a['id']}"), c.websocket_connect(f"/ws/{b['id']}"):
        r = c.post("/api/sessions", json={})
        assert r.status_code == 503
        d = r.json()["detail"][0]
        assert d["field"] == "sessions" and "every one has a client" in d["message"]
    assert len(c.app.state.manager) == 2


def test_get_session_and_unknown_session(client):
    s = create(client)
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert info["id"] == s["id"] and info["running"] is False and info["step"] == 0
    assert info["config"] == s["config"] and info["viewers"] == 0
    assert client.get("/api/sessions/nope").status_code == 404


def test_delete_needs_the_token(client):
    s = create(client)
    url = f"/api/sessions/{s['id']}"
    assert client.delete(url).status_code == 403
    assert client.delete(url, headers={"X-Control-Token": "wrong"}).status_code == 403
    assert client.delete(url, headers={"X-Control-Token": s["token"]}).status_code == 204
    assert client.get(url).status_code == 404


def test_model_download_is_a_safetensors_file_of_the_network(client):
    s = create(client, preset="xor")
    r = client.get(f"/api/sessions/{s['id']}/model.safetensors")
    assert r.status_code == 200
    tensors, meta = decode(r.content)
    shapes = sorted(tuple(t.shape) for t in tensors.values())
    assert (4, 2) in shapes and (1, 4) in shapes


def test_history_json_and_csv_hold_the_same_points(client):
    s = create(client)
    deadline = time.monotonic() + 10  # the worker records step 0 with its first frame
    while not (table := client.get(f"/api/sessions/{s['id']}/history.json").json())["rows"]:
        assert time.monotonic() < deadline, "the run recorded no history point"
        time.sleep(0.02)
    assert table["columns"] == ["step", "epoch", "train_loss", "test_loss", "train_acc",
                                "test_acc", "seconds"]
    text = client.get(f"/api/sessions/{s['id']}/history.csv").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == table["columns"]
    assert len(rows) - 1 == len(table["rows"])


GOOD_CSV = "x1,x2,label\n" + "".join(
    f"{i % 7},{(i * 3) % 5},{'a' if i % 2 else 'b'}\n" for i in range(40))


def _upload(client, s, text, token=None, **params):
    return client.post(f"/api/sessions/{s['id']}/csv", params=params,
                       headers={"X-Control-Token": token or s["token"]},
                       files={"file": ("data.csv", text, "text/csv")})


def test_csv_upload_switches_the_session_to_the_file(client):
    s = create(client)
    r = _upload(client, s, GOOD_CSV)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rows"] == 40 and body["features"] == ["x1", "x2"]
    assert body["classes"] == ["a", "b"] and body["config"]["data"] == "csv"
    assert client.get(f"/api/sessions/{s['id']}").json()["config"]["data"] == "csv"


def test_csv_upload_with_label_by_name_and_regression(client):
    s = create(client)
    text = "y,a,b\n" + "".join(f"{i * 0.5},{i},{i % 3}\n" for i in range(20))
    r = _upload(client, s, text, label="y", task="regression")
    assert r.status_code == 200, r.text
    assert r.json()["features"] == ["a", "b"] and r.json()["classes"] == []


def test_bad_csv_names_row_and_column(client):
    s = create(client)
    lines = GOOD_CSV.splitlines()
    lines[5] = "3,oops,a"  # line 6 of the file
    bad = "\n".join(lines) + "\n"
    r = _upload(client, s, bad)
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert "row" in d["field"] and "x2" in d["field"]
    assert "row 6" in d["field"] and "oops" in d["message"]


def test_csv_upload_refuses_wrong_token_big_files_and_binary(make_client):
    c = make_client(max_upload_bytes=1000)
    s = create(c)
    assert _upload(c, s, GOOD_CSV, token="wrong").status_code == 403
    big = "x,label\n" + "1,a\n" * 600
    r = _upload(c, s, big)
    assert r.status_code == 413 and "1,000" in r.json()["detail"]
    r = _upload(c, s, b"\xff\xfe\x00garbage")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "csv"


def test_csv_upload_over_the_parameter_cap_is_refused(make_client):
    c = make_client(max_params=500)
    s = create(c, config={"layers": [4]})
    wide = ",".join(f"c{i}" for i in range(200)) + ",label\n"
    wide += "".join(",".join(str((i + j) % 5) for j in range(200)) + f",{i % 2}\n"
                    for i in range(10))
    r = _upload(c, s, wide)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "layers"
    assert c.get(f"/api/sessions/{s['id']}").json()["config"]["data"] == "spiral"
