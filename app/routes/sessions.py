"""Sessions over HTTP: create (a single run or a race), inspect, delete, download the model,
its configuration and the history, upload a CSV data set or a model."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from engine import config as cfgmod
from engine.data import DataError, parse_csv

from .. import uploads
from ..deps import ControlDep, ManagerDep, SessionDep, SettingsDep
from ..errors import AppError, as_app_error, short_errors
from ..presets import PRESETS, preset_config
from ..session import Session
from .runs import OwnerDep

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


class CreateSession(BaseModel):
    """A run configuration, or a preset with optional overrides."""

    preset: str | None = Field(None, description="name of a preset (GET /api/presets)")
    config: dict[str, Any] = Field(default_factory=dict,
                                   description="configuration fields (GET /api/schema)")
    race: dict[str, Any] | None = Field(
        None, description="a race: {\"runners\": [2 to 4 objects of runner fields and a "
                          "label], \"target\": {\"metric\", \"value\"}}")


class SessionCreated(BaseModel):
    id: str
    token: str
    config: dict[str, Any]
    viewer_url: str
    control_url: str
    ws_url: str


def field_errors(errors: list[dict[str, Any]], status: int = 422) -> JSONResponse:
    """The error answer: {"detail": [{"field", "value", "message", ...}]}, values cut short."""
    return JSONResponse({"detail": short_errors(errors)}, status_code=status)


def refused(exc: Exception) -> JSONResponse:
    """A refusal (AppError, or the engine's ConfigError or DataError) as an HTTP answer whose
    detail entries carry their ``code``."""
    error = as_app_error(exc)
    if error is None:
        raise exc
    return field_errors(error.detail(), error.status)


def _urls(request: Request, session: Session) -> dict[str, str]:
    base = str(request.base_url).rstrip("/")
    ws_base = "ws" + base[4:] if base.startswith("http") else base
    return {"viewer_url": f"{base}/view/{session.id}",
            "control_url": f"{base}/s/{session.id}#token={session.token}",
            "ws_url": f"{ws_base}/ws/{session.id}"}


@router.post("", status_code=201, response_model=SessionCreated,
             responses={422: {"description": "an invalid field, named in detail"},
                        503: {"description": "the server holds as many sessions as it may"}})
async def create_session(body: CreateSession, request: Request, manager: ManagerDep,
                         owner: OwnerDep) -> Any:
    """Start a session (paused) from a configuration or a preset. The token controls it;
    the viewer link only watches. Its recorded runs belong to the owner key (X-Owner-Key or
    the ``owner`` cookie); without one, to the session's token."""
    config: dict[str, Any] = {}
    if body.preset is not None:
        if body.preset not in PRESETS:
            return refused(AppError("unknown_preset", f"preset: {body.preset!r} is unknown; "
                                    "allowed: " + ", ".join(PRESETS), "preset", body.preset,
                                    allowed=list(PRESETS)))
        config = preset_config(body.preset)
    config.update(body.config)
    try:
        session = await run_in_threadpool(manager.create, config, body.race, owner)
    except (cfgmod.ConfigError, DataError, AppError) as exc:
        return refused(exc)
    return {"id": session.id, "token": session.token, "config": session.config,
            **_urls(request, session)}


@router.get("/{session_id}")
def get_session(session: SessionDep) -> dict[str, Any]:
    """The session's configuration and where it is: running, step, epoch, viewers."""
    return session.summary()


@router.delete("/{session_id}", status_code=204)
def delete_session(session: ControlDep, manager: ManagerDep) -> Response:
    """End the session (needs X-Control-Token); its clients are disconnected."""
    manager.remove(session.id)
    return Response(status_code=204)


async def _on_worker(session: Session, fn: Any) -> Any:
    try:
        return await asyncio.wrap_future(session.call(fn))
    except RuntimeError as exc:
        raise HTTPException(404, f"session {session.id!r} has ended") from exc


@router.get("/{session_id}/model.safetensors",
            response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
async def download_model(session: SessionDep) -> Response:
    """The current weights, preprocessing and configuration as a safetensors file."""
    raw = await _on_worker(session, lambda s: s.trainer.model_bytes())
    return Response(raw, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="backprop-lab-{session.id}.safetensors"'})


@router.get("/{session_id}/config.json",
            responses={200: {"content": {"application/json": {}}}})
def download_config(session: SessionDep) -> Response:
    """The run configuration as a file: what ``python -m engine train`` reads (a race: the
    body that creates it again, {"config", "race"}). A configuration with "model": "upload"
    starts from the session's model file (model.safetensors)."""
    return JSONResponse(session.export_config(), headers={
        "Content-Disposition": f'attachment; filename="config-{session.id}.json"'})


@router.get("/{session_id}/history.json")
def history_json(session: SessionDep) -> dict[str, Any]:
    """Every metric point: columns and rows (null where a value does not apply)."""
    return session.history_table()


@router.get("/{session_id}/history.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def history_csv(session: SessionDep) -> Response:
    """The metric history as CSV with a header row (empty cells where a value does not
    apply)."""
    table = session.history_table()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(table["columns"])
    for row in table["rows"]:
        w.writerow(["" if v is None else repr(v) for v in row])
    return Response(out.getvalue(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="history-{session.id}.csv"'})


async def _read_upload(file: UploadFile, limit: int) -> bytes:
    """The uploaded file's bytes; 413 when it is larger than the server's upload limit."""
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        raise HTTPException(413, f"the file is larger than {limit:,} bytes, this server's "
                                 "upload limit")
    return raw


@router.post("/{session_id}/csv",
             responses={403: {"description": "missing or wrong control token"},
                        413: {"description": "the file is larger than the upload limit"},
                        422: {"description": "a bad file: the message names row and column"}})
async def upload_csv(
    session: ControlDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="a CSV file with a header row")],
    label: Annotated[str, Query(description="label column: its name or index")] = "-1",
    task: Annotated[str, Query(description="classification or regression")] = "classification",
) -> Any:
    """Train the session on an uploaded CSV file (a new run, paused)."""
    raw = await _read_upload(file, settings.max_upload_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return refused(AppError("not_utf8", f"csv: the file is not UTF-8 text (byte "
                                f"{exc.start})", "csv", None, byte=exc.start))
    label_column: str | int = label  # parse_csv reads a header name or an index ("-1")
    try:
        parsed = await run_in_threadpool(parse_csv, text, label_column, task)
    except DataError as exc:
        return refused(exc)
    try:
        return await _on_worker(session, lambda s: uploads.load_csv(s, parsed))
    except (cfgmod.ConfigError, DataError, AppError) as exc:
        return refused(exc)


def _as_model_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors of an uploaded model, all under the field ``model`` (the message keeps the
    field it concerns, e.g. "features: ...")."""
    return [{"field": "model", "value": None, "code": e.get("code"), "message": e["message"]
             if e["field"] == "model" else f"model: {e['message']}"} for e in errors]


@router.post("/{session_id}/model",
             responses={403: {"description": "missing or wrong control token"},
                        413: {"description": "the file is larger than the upload limit"},
                        422: {"description": "not a model this run can use; field model"}})
async def upload_model(
    session: ControlDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="a .safetensors model saved by Backprop Lab")],
) -> Any:
    """Start the session from an uploaded model ("model": "upload"): a new run, paused. A file
    that is not a model, or does not fit the data, answers 422 and the run is kept."""
    raw = await _read_upload(file, settings.max_upload_bytes)
    if not raw:
        return refused(AppError("empty_file", "model: the file is empty", "model", None))
    try:
        return await _on_worker(session, lambda s: uploads.load_model(s, raw))
    except (cfgmod.ConfigError, DataError, AppError) as exc:
        error = as_app_error(exc)
        assert error is not None
        return field_errors(_as_model_errors(error.detail()), error.status)
