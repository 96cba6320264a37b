"""The HTTP side of fine-tuning and teaching: the model zoo, lessons, model upload, the
configuration download, the schema's ranges and the history's seconds."""

import pytest
from app_helpers import Reader, create

from engine import zoo
from engine.serialize import model_from_bytes

DIGITS = {"data": "digits", "layers": [16], "batch_size": 32}


def _upload(client, s, raw, token=None):
    headers = {} if token is False else {"X-Control-Token": token or s["token"]}
    return client.post(f"/api/sessions/{s['id']}/model", headers=headers,
                       files={"file": ("model.safetensors", raw, "application/octet-stream")})


def test_models_lists_the_zoo_with_sizes_and_accuracy(client):
    models = client.get("/api/models").json()
    assert [m["name"] for m in models] == zoo.model_names()
    assert {"digits-all", "digits-0to4", "spiral"} <= {m["name"] for m in models}
    for m in models:
        assert m["sizes"][0] in (2, 64) and 0.5 < m["metrics"]["test_acc"] <= 1
        assert m["title"] and m["class_names"]


def test_lessons_come_in_english_and_japanese(client):
    en = client.get("/api/lessons").json()
    ja = client.get("/api/lessons", params={"lang": "ja"}).json()
    assert [x["name"] for x in en] == [x["name"] for x in ja] and len(en) >= 8
    assert en[0]["title"] != ja[0]["title"]
    race = next(x for x in en if x["race"])
    assert race["race"]["target_loss"] > 0 and len(race["race"]["runners"]) >= 2
    r = client.get("/api/lessons", params={"lang": "fr"})
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert d["field"] == "lang" and "allowed: en, ja" in d["message"]


def test_schema_gives_ranges_and_choices(client):
    fields = {f["name"]: f for f in client.get("/api/schema").json()}
    assert fields["lr"]["min"] == 0 and fields["lr"]["min_open"] is True
    assert fields["lr"]["max"] == 10
    assert fields["train_per_class"]["nullable"] is True
    assert fields["train_per_class"]["integer"] is True
    assert "digits-all" in fields["model"]["choices"] and "upload" in fields["model"]["choices"]
    assert fields["digits_task"]["choices"] == ["all", "0-4", "5-9", "even_odd", "ge5",
                                                "groups"]
    assert "x1_sq" in fields["features"]["choices"]


def test_a_model_from_one_session_uploads_into_another(client):
    a = create(client, config=DIGITS)
    with client.websocket_connect(f"/ws/{a['id']}?token={a['token']}") as ws:
        r = Reader(ws)
        r.recv()
        r.send(type="step", n=30)
        r.frame(where=lambda h: h["kind"] == "frame" and h["step"] == 30)
    raw = client.get(f"/api/sessions/{a['id']}/model.safetensors").content
    b = create(client, config={**DIGITS, "layers": [4, 4]})
    with client.websocket_connect(f"/ws/{b['id']}?token={b['token']}") as ws:
        r = Reader(ws)
        r.recv()
        res = _upload(client, b, raw)
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["config"]["model"] == "upload" and body["info"]["sizes"] == [64, 16, 10]
        assert body["head"]["replaced"] is False  # same data, same classes: the head stays
        cfg = r.event("config")
        assert cfg["changed"] == ["model"] and cfg["rebuilt"] == "data"
        r.frame("data")
        _, arrays = r.frame()
    same = client.get(f"/api/sessions/{b['id']}/model.safetensors").content
    net_a, _, _ = model_from_bytes(raw)
    net_b, _, _ = model_from_bytes(same)
    assert (net_a.params == net_b.params).all()
    assert (arrays["W0"] == net_a.layers[0].W).all()


def test_bad_model_files_answer_422_on_model_and_keep_the_run(client, make_client):
    s = create(client, config=DIGITS)
    before = client.get(f"/api/sessions/{s['id']}/model.safetensors").content
    spiral = zoo.model_file("spiral")
    for raw, text in ((b"not a model at all", "model: "),
                      (spiral, "the model takes 2 inputs; this data set gives 64"),
                      (b"", "the file is empty")):
        r = _upload(client, s, raw)
        assert r.status_code == 422, r.text
        d = r.json()["detail"][0]
        assert d["field"] == "model" and text in d["message"], d
    assert client.get(f"/api/sessions/{s['id']}").json()["config"]["model"] is None
    assert client.get(f"/api/sessions/{s['id']}/model.safetensors").content == before


def test_model_upload_needs_the_token_and_respects_the_size_limit(client, make_client):
    s = create(client, config=DIGITS)
    raw = zoo.model_file("digits-all")
    assert _upload(client, s, raw, token=False).status_code == 403
    assert _upload(client, s, raw, token="wrong").status_code == 403
    assert _upload(client, {**s, "id": "nope"}, raw).status_code == 404
    small = make_client(max_upload_bytes=1000)
    t = create(small, config=DIGITS)
    assert _upload(small, t, raw).status_code == 413


def test_config_json_downloads_the_run_configuration(client):
    s = create(client, config={"data": "circle", "lr": 0.01})
    r = client.get(f"/api/sessions/{s['id']}/config.json")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert r.json() == s["config"]
    race = {"runners": [{"optimizer": "sgd", "lr": 0.1, "label": "SGD"},
                        {"optimizer": "adam", "lr": 0.01, "label": "Adam"}],
            "target": {"metric": "test_acc", "value": 0.9}}
    t = create(client, config={"data": "circle"}, race=race)
    body = client.get(f"/api/sessions/{t['id']}/config.json").json()
    assert body["race"] == race and body["config"] == t["config"]
    again = create(client, **body)  # the download creates the same race again
    assert client.get(f"/api/sessions/{again['id']}").json()["race"]["runners"][1]["label"] \
        == "Adam"
    assert client.get("/api/sessions/nope/config.json").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_history_has_cumulative_seconds(client, fmt):
    s = create(client)
    with client.websocket_connect(f"/ws/{s['id']}?token={s['token']}") as ws:
        r = Reader(ws)
        r.recv()
        r.send(type="step", n=40)
        r.frame(where=lambda h: h["kind"] == "frame" and h["step"] == 40)
        r.send(type="step", n=40)
        r.frame(where=lambda h: h["kind"] == "frame" and h["step"] == 80)
    table = client.get(f"/api/sessions/{s['id']}/history.json").json()
    assert table["columns"][-1] == "seconds"
    seconds = [row[-1] for row in table["rows"]]
    assert seconds[0] == 0 and seconds[-1] > 0 and seconds == sorted(seconds)
    if fmt == "csv":
        text = client.get(f"/api/sessions/{s['id']}/history.csv").text
        assert text.splitlines()[0].endswith(",seconds")


def test_info_says_what_loading_a_model_did_to_its_head(client) -> None:
    r = client.post("/api/sessions", json={"config": {
        "data": "digits", "digits_half": "b", "digits_task": "even_odd",
        "train_per_class": 10, "model": "digits-all", "freeze": [0, 1]}})
    assert r.status_code == 201
    info = client.get(f"/api/sessions/{r.json()['id']}").json()["info"]
    assert info["head"]["replaced"] is True
    assert info["head"]["old"]["units"] == 10
    assert info["head"]["new"]["classes"] == ["even", "odd"]
    assert info["trainable"] == 33 and info["frozen"] == [0, 1]
