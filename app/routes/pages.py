"""The HTML pages: a new session, the control page, the viewer page and the runs page."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..deps import ManagerDep

router = APIRouter(include_in_schema=False)

MISSING_PAGE = """<!doctype html><meta charset="utf-8"><title>Backprop Lab</title>
<p>The page is not installed on this server. The API is described at <a href="/docs">/docs</a>.
</p>"""


def _render(request: Request, session_id: str | None, role: str, status: int = 200
            ) -> Response:
    templates = request.app.state.templates
    if templates is None:
        return HTMLResponse(MISSING_PAGE, status_code=status)
    return templates.TemplateResponse(request, "index.html",
                                      {"session_id": session_id, "role": role},
                                      status_code=status)


def _gone(session_id: str) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><meta charset="utf-8"><title>Session not found</title>
<p>Session {html.escape(session_id[:40])} does not exist; it may have ended.
<a href="/">Start a new one</a>.</p>""", status_code=404)


@router.get("/")
def index(request: Request) -> Response:
    return _render(request, None, "control")


@router.get("/s/{session_id}")
def control_page(session_id: str, request: Request, manager: ManagerDep) -> Response:
    if manager.get(session_id) is None:
        return _gone(session_id)
    return _render(request, session_id, "control")


@router.get("/view/{session_id}")
def viewer_page(session_id: str, request: Request, manager: ManagerDep) -> Response:
    if manager.get(session_id) is None:
        return _gone(session_id)
    return _render(request, session_id, "viewer")


@router.get("/runs")
def runs_page(request: Request) -> Response:
    """This browser's recorded runs (the page reads /api/runs with its owner cookie)."""
    templates = request.app.state.templates
    if templates is None or not (request.app.state.settings.templates_dir / "runs.html").is_file():
        return HTMLResponse(MISSING_PAGE)
    return templates.TemplateResponse(request, "runs.html", {})
