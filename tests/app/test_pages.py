from app_helpers import create


def test_index_renders_control_page_without_session(client):
    r = client.get("/")
    assert r.status_code == 200 and r.text == "<html>control|None</html>"


def test_control_and_viewer_pages_carry_session_and_role(client):
    s = create(client)
    assert client.get(f"/s/{s['id']}").text == f"<html>control|{s['id']}</html>"
    assert client.get(f"/view/{s['id']}").text == f"<html>viewer|{s['id']}</html>"


def test_pages_of_unknown_sessions_are_404(client):
    assert client.get("/s/nope").status_code == 404
    assert client.get("/view/<b>x</b>").status_code == 404
    assert "<b>" not in client.get("/view/<b>x</b>").text


def test_static_files_are_served(client):
    r = client.get("/static/hello.js")
    assert r.status_code == 200 and "hello" in r.text


def test_missing_template_gives_a_plain_page(make_client, tmp_path):
    c = make_client(templates_dir=tmp_path / "none")
    r = c.get("/")
    assert r.status_code == 200 and "/docs" in r.text
