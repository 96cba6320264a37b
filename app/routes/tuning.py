"""Sweeps from the server: start one (POST /api/sweeps, the sweep JSON of docs/tuning.md),
follow it (GET /api/sweeps/{id}), cancel it (DELETE) and download its rows as CSV; the page
/sweeps draws them. Trials run in worker processes, never on a session's thread."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ..errors import AppError, short
from ..tuning.manager import SweepJob, SweepManager
from .sessions import refused

router = APIRouter(prefix="/api", tags=["sweeps"])
pages = APIRouter(include_in_schema=False)

SWEEP_ID = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$",
                               description="the sweep's id")]
CSV_RESULTS = ("val_loss", "val_accuracy", "test_accuracy", "state", "reason", "run_id")


def _manager(request: Request) -> SweepManager:
    return request.app.state.sweeps


def _job(request: Request, sweep_id: str) -> SweepJob:
    job = _manager(request).get(sweep_id)
    if job is None:
        raise AppError("sweep_not_found", f"sweep {short(sweep_id, 40)!r} does not exist (the "
                       "server keeps the latest finished sweeps only)", "sweep_id", sweep_id,
                       status=404)
    return job


def _base_from_session(request: Request, session_id: str, token: str | None,
                       raw: dict[str, Any]) -> dict[str, Any]:
    """The sweep with its base defaulting to the session's configuration."""
    session = request.app.state.manager.get(session_id)
    if session is None:
        raise AppError("session_not_found", f"session {short(session_id, 40)!r} does not exist "
                       "(it may have ended)", "session", session_id, status=404)
    if token is None or not session.check_token(token):
        raise AppError("wrong_token", "the control token (header X-Control-Token) is missing or"
                       " wrong for this session", "X-Control-Token", None, status=403)
    config = session.export_config()
    if "race" in config:
        raise AppError("not_in_race", "a sweep starts from a single run; this session is a "
                       "race", "session", session_id, command="sweep", allowed=[])
    base = {k: v for k, v in config.items() if k not in ("seed",)}
    given = raw.get("base", {})
    if isinstance(given, dict):
        base.update(given)
    return {**raw, "base": base}


@router.post("/sweeps", status_code=201)
def start_sweep(request: Request,
                sweep: Annotated[dict[str, Any], Body(description="the sweep (docs/tuning.md)")],
                session: Annotated[str | None, Query(max_length=64)] = None,
                x_control_token: Annotated[str | None, Header(max_length=128)] = None,
                ) -> Any:
    """Start a sweep; with ``?session=ID`` and the session's control token, the sweep's base
    defaults to the session's current configuration. 429 when too many sweeps run."""
    try:
        if session is not None:
            sweep = _base_from_session(request, session, x_control_token, sweep)
        client = request.client.host if request.client else "unknown"
        owner = request.headers.get("x-owner-key") or request.cookies.get("owner")
        if owner is not None and not (16 <= len(owner) <= 128):
            owner = None
        job = _manager(request).start(sweep, client, owner)
    except AppError as exc:
        return refused(exc)
    return JSONResponse(job.view(), status_code=201,
                        headers={"Location": f"/api/sweeps/{job.id}"})


@router.get("/sweeps/{sweep_id}")
def get_sweep(request: Request, sweep_id: SWEEP_ID) -> Any:
    """Progress, ETA, every finished run (trial, seed, params, validation and test metrics,
    state), the best trial by the validation metric and which fields mattered."""
    try:
        return _job(request, sweep_id).view()
    except AppError as exc:
        return refused(exc)


@router.delete("/sweeps/{sweep_id}")
def cancel_sweep(request: Request, sweep_id: SWEEP_ID) -> Any:
    """Cancel: queued runs never start, running ones stop at their next epoch; what finished
    is kept."""
    try:
        job = _job(request, sweep_id)
    except AppError as exc:
        return refused(exc)
    _manager(request).cancel(sweep_id)
    return {"id": job.id, "state": job.state, "cancelling": job.state == "running"}


@router.get("/sweeps/{sweep_id}/results.csv", response_class=Response)
def sweep_csv(request: Request, sweep_id: SWEEP_ID) -> Response:
    """One row per finished run: trial, seed, one column per swept field, the metrics, the
    state and the run's id in the store."""
    try:
        job = _job(request, sweep_id)
    except AppError as exc:
        return refused(exc)
    view = job.view()
    fields = list(view["params"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["trial", "seed", *fields, *CSV_RESULTS])
    for r in sorted(view["trials"], key=lambda r: (r["trial"], r["seed"])):
        params = r.get("params", {})
        cells = [json.dumps(params.get(f)) if isinstance(params.get(f), list | dict)
                 else params.get(f) for f in fields]
        writer.writerow([r["trial"], r["seed"], *cells,
                         *("" if r.get(k) is None else r.get(k) for k in CSV_RESULTS)])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="sweep-{job.id}.csv"'})


@pages.get("/sweeps")
def sweeps_page(request: Request) -> Response:
    templates = request.app.state.templates
    settings = request.app.state.settings
    if templates is None or not (settings.templates_dir / "sweeps.html").is_file():
        return HTMLResponse("<!doctype html><title>Sweeps</title><p>The page is not installed "
                            "on this server; the API is at /api/sweeps.</p>")
    return templates.TemplateResponse(request, "sweeps.html", {})
