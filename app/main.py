"""The app factory: ``create_app(settings)`` wires settings, sessions, routers, pages and
static files together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from . import __version__, security
from .limits import BodyLimit, short
from .routes import catalog, classes, codes, pages, runs, sessions, tuning, ws
from .sessions import SessionManager
from .settings import Settings
from .store.setup import open_for
from .tuning.manager import SweepManager

log = logging.getLogger("app")

DOCS_ASSETS = "/docs-assets"
"""Where the app serves Swagger UI's script, style sheet and icon, from the installed
fastapi-offline package (its folder ``static``), so /docs needs no internet."""


async def _reaper(manager: SessionManager) -> None:
    s = manager.settings
    interval = min(30.0, max(0.05, min(s.session_ttl_seconds, s.unclaimed_ttl_seconds) / 4))
    while True:
        await asyncio.sleep(interval)
        for sid, why in manager.reap():
            log.info("session %s closed: %s", sid, why)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application with its own sessions. Settings default to the environment."""
    settings = settings or Settings.from_env()
    store, recorder = open_for(settings)  # StoreOpenError says what is wrong and what to do
    manager = SessionManager(settings, recorder=recorder)
    sweeps = SweepManager(settings.sweep_workers, settings.dask_scheduler, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        back = await asyncio.to_thread(manager.restore, store)
        if back:
            log.info("brought back %d sessions, paused at their last checkpoint", len(back))
        reaper = asyncio.create_task(_reaper(manager))
        try:
            yield
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
            await asyncio.to_thread(sweeps.close)
            await asyncio.to_thread(manager.close_all)
            if recorder is not None:  # what is buffered reaches the store first
                await asyncio.to_thread(recorder.close)
            if store is not None:
                store.close()

    app = FastAPI(title="Backprop Lab", version=__version__, lifespan=lifespan, docs_url=None,
                  description="Watch a neural network learn, live, and steer it while it "
                              "learns. The websocket protocol is in docs/protocol.md.")
    app.state.settings = settings
    app.state.manager = manager
    app.state.store, app.state.recorder = store, recorder
    app.state.sweeps = sweeps
    index = settings.templates_dir / "index.html"
    app.state.templates = (Jinja2Templates(directory=str(settings.templates_dir))
                           if index.is_file() else None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
            name = ".".join(loc) or "body"
            value = e.get("input")
            if not isinstance(value, str | int | float | bool | type(None)):
                value = None
            detail.append({"field": short(name), "value": short(value),
                           "message": short(f"{name}: {e.get('msg', 'invalid')}", 400)})
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return security.internal_error(request, exc)  # 500 with an id, logged with it

    logging.getLogger("uvicorn.error").addFilter(ws.DENIAL_LOG_FILTER)  # see its docstring
    security.install_log_filters()
    app.add_middleware(BodyLimit)
    app.add_middleware(security.WebGuard, policy=security.settings_policy(settings))
    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        """Swagger UI, every file of it served by this app: it works offline."""
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                   title=f"{app.title} - API",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png")

    app.include_router(catalog.router)
    app.include_router(codes.router)
    app.include_router(sessions.router)
    app.include_router(runs.router)
    app.include_router(ws.router)
    app.include_router(pages.router)
    app.include_router(classes.router)
    app.include_router(classes.pages)
    app.include_router(tuning.router)
    app.include_router(tuning.pages)
    app.mount("/static", StaticFiles(directory=str(settings.static_dir), check_dir=False),
              name="static")
    app.mount(DOCS_ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]),
              name="docs-assets")
    return app
