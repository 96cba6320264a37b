"""The API page (/docs, Swagger UI) works with no internet: every script, style sheet and icon
it names is served by the app itself."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

ASSET = re.compile(r"<(script|link)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)[\"']", re.I)


def asset_urls(html: str) -> list[str]:
    return [m.group(2) for m in ASSET.finditer(html)]


def test_docs_names_only_files_this_app_serves(client: TestClient):
    page = client.get("/docs")
    assert page.status_code == 200
    urls = asset_urls(page.text)
    kinds = {urlsplit(u).path.rsplit(".", 1)[-1] for u in urls}
    assert {"js", "css"} <= kinds, urls  # Swagger UI's script and style sheet are named
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"/docs loads {url} from elsewhere"
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert len(answer.content) > 1000, url  # the real file, not an empty stand-in


def test_docs_scripts_and_styles_have_their_content_types(client: TestClient):
    html = client.get("/docs").text
    for url in asset_urls(html):
        kind = client.get(url).headers["content-type"]
        if url.endswith(".js"):
            assert "javascript" in kind, (url, kind)
        elif url.endswith(".css"):
            assert kind.startswith("text/css"), (url, kind)


def test_docs_points_swagger_ui_at_the_api_description(client: TestClient):
    html = client.get("/docs").text
    assert "/openapi.json" in html
    assert client.get("/openapi.json").json()["info"]["title"] == "Backprop Lab"
