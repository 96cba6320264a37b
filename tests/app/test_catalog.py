from engine.data import DATASETS


def test_health_counts_sessions(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["sessions"] == 0
    client.post("/api/sessions", json={})
    assert client.get("/api/health").json()["sessions"] == 1


def test_schema_lists_every_field_with_choices(client):
    fields = {f["name"]: f for f in client.get("/api/schema").json()}
    assert fields["lr"]["live"] is True and fields["layers"]["live"] is False
    assert "relu" in fields["activation"]["choices"]
    assert "csv" in fields["data"]["choices"]


def test_datasets_match_the_engine_registry(client):
    names = [d["name"] for d in client.get("/api/datasets").json()]
    assert names == list(DATASETS)


def test_presets_include_the_named_runs(client):
    names = {p["name"] for p in client.get("/api/presets").json()}
    assert {"spiral", "xor", "circle", "digits", "regression"} <= names


def test_models_is_a_list(client):
    r = client.get("/api/models")
    assert r.status_code == 200 and isinstance(r.json(), list)


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    assert "/api/sessions" in client.get("/openapi.json").json()["paths"]
