"""The API page (/docs) renders Swagger UI with every request answered by the server itself:
any request elsewhere is refused, as it would be with no internet."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_with_no_request_leaving_the_server(browser: Any, server: str):
    here = urlsplit(server).netloc
    elsewhere: list[str] = []

    def only_the_server(route: Any) -> None:
        if urlsplit(route.request.url).netloc == here:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    ctx = browser.new_context()  # the server's own Content-Security-Policy applies
    try:
        page = ctx.new_page()
        page.route("**/*", only_the_server)
        page.goto(server + "/docs")
        title = page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
        assert title is not None and "Backprop Lab" in title.inner_text()
        # the operations are listed: the API description was fetched and drawn
        page.wait_for_selector(".opblock", timeout=20000)
        assert elsewhere == []
    finally:
        ctx.close()
