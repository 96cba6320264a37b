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


def test_schema_says_what_each_field_rebuilds(client):
    fields = {f["name"]: f for f in client.get("/api/schema").json()}
    assert fields["lr"]["rebuilds"] is None
    assert fields["layers"]["rebuilds"] == "network"
    assert fields["samples"]["rebuilds"] == "data"
    assert all((f["rebuilds"] is None) is f["live"] for f in fields.values())


def test_engine_route_serves_the_engines_facts(client):
    from engine.facts import facts

    r = client.get("/api/engine")
    assert r.status_code == 200
    body = r.json()
    assert body == facts()
    assert ["softmax", "cross_entropy"] in body["pairs"]
    assert body["digits_classes"]["0-4"] == 5
    assert [f["name"] for f in body["features"]][:2] == ["x1", "x2"]
    assert {"name": "x1_x2", "label": "x₁·x₂", "expr": ["mul", "x1", "x2"]} in body["features"]
