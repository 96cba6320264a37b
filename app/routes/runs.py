"""Runs: the owner's list, one run with its history, events and checkpoints; rename, tag,
annotate, star, delete and prune (docs/runs.md).

Who is who: the owner key, sent in the ``X-Owner-Key`` header (or, from the page, the
``owner`` cookie; the header wins). Anyone with a run's id reads the run; only the owner key
that made it changes or deletes it. Routes are plain ``def``: FastAPI runs them in its thread
pool, so the database never blocks the event loop.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Cookie, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from engine import checkpoint as ckpt

from ..errors import as_app_error
from ..store import RunStore, StoreError
from ..store.compaction import COLUMNS
from ..store.store import MAX_NAME, MAX_NOTE, MAX_PAGE, MAX_TAG, MAX_TAGS, SORTS

router = APIRouter(prefix="/api", tags=["runs"])

OWNER_KEY = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
RUN_ID = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$",
                             description="the run's id")]
T = TypeVar("T")


def get_store(request: Request) -> RunStore:
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise HTTPException(503, "this server does not record runs: start it with --data-dir "
                                 "DIR or --database-url URL")
    return store


StoreDep = Annotated[RunStore, Depends(get_store)]


def owner_key(x_owner_key: Annotated[str | None, Header()] = None,
              owner: Annotated[str | None, Cookie()] = None) -> str | None:
    """The caller's owner key (header X-Owner-Key, else cookie ``owner``), checked."""
    key, where = (x_owner_key, "X-Owner-Key") if x_owner_key is not None else (owner, "owner")
    if key is None:
        return None
    if not OWNER_KEY.match(key):
        shown = key if len(key) <= 40 else key[:37] + "..."
        raise HTTPException(400, f"{where}: {shown!r} is not an owner key; it must be 16 to "
                                 "128 letters, digits, '-' or '_'")
    return key


OwnerDep = Annotated[str | None, Depends(owner_key)]


def required(key: str | None) -> str:
    if key is None:
        raise HTTPException(401, "this needs your owner key, in the X-Owner-Key header or "
                                 "the owner cookie")
    return key


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a store call; its refusals become 4xx, a database that is away becomes 503."""
    try:
        return fn(*args, **kwargs)
    except StoreError as exc:
        raise HTTPException(exc.status, exc.message) from None
    except sa.exc.SQLAlchemyError as exc:
        orig = str(getattr(exc, "orig", exc)).strip().splitlines() or ["unknown error"]
        raise HTTPException(503, f"the run store cannot be reached right now ({orig[0][:200]});"
                                 " try again shortly") from None


SETTINGS = ("data", "layers", "activation", "optimizer", "lr", "dropout", "batch_size")
"""The configuration fields a run's summary carries (the runs page's table columns)."""


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    config = run.get("config") or {}
    return {**{k: v for k, v in run.items() if k != "config"},
            "settings": {k: config.get(k) for k in SETTINGS}}


@router.get("/runs")
def list_runs(store: StoreDep, key: OwnerDep,
              tag: Annotated[str | None, Query(max_length=MAX_TAG)] = None,
              kind: Annotated[str | None, Query(max_length=MAX_TAG)] = None,
              starred: bool | None = None,
              q: Annotated[str | None, Query(max_length=MAX_NAME,
                                             description="text in the name")] = None,
              sort: Literal["updated", "created", "name", "step"] = "updated",
              order: Literal["desc", "asc"] = "desc",
              limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
              offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> dict[str, Any]:
    """The caller's runs (owner key needed), newest change first by default; ``total`` counts
    every match, ``limit``/``offset`` page through them. Runs come without their
    configuration (GET /api/runs/{id} has it), with ``settings``: its data set, layers,
    activation, optimizer, learning rate, dropout and batch size."""
    assert sort in SORTS
    runs, total = call(store.list_runs, required(key), tag=tag, kind=kind, starred=starred,
                       q=q, sort=sort, descending=order == "desc", limit=limit, offset=offset)
    return {"runs": [_summary(r) for r in runs], "total": total, "limit": limit,
            "offset": offset}


@router.get("/runs/{run_id}")
def get_run(run_id: RUN_ID, store: StoreDep, key: OwnerDep) -> dict[str, Any]:
    """One run, with its configuration; ``yours`` says whether the caller owns it."""
    run = call(store.get_run, run_id, key)
    if run is None:
        raise HTTPException(404, f"run {run_id!r} does not exist (it may have been deleted)")
    return run


def _history_text(store: RunStore, run_id: str) -> str:
    rows = call(store.history, run_id)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*COLUMNS, "compacted"])
    for r in rows:
        w.writerow([*("" if r[k] is None else repr(r[k]) if isinstance(r[k], float) else r[k]
                      for k in COLUMNS), int(bool(r["compacted"]))])
    return out.getvalue()


@router.get("/runs/{run_id}/history.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def history_csv(run_id: RUN_ID, store: StoreDep) -> Response:
    """The metric history as CSV: step, epoch, seconds, the losses and accuracies (empty when
    not measured), and ``compacted`` (1: a point kept when older points were thinned)."""
    out = _history_text(store, run_id)
    return Response(out, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="run-{run_id}-history.csv"'})


@router.get("/runs/{run_id}/events")
def run_events(run_id: RUN_ID, store: StoreDep,
               limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
               offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> dict[str, Any]:
    """Live changes made to the run, in step order: step, field, old and new value."""
    return {"events": call(store.events, run_id, limit, offset), "limit": limit,
            "offset": offset}


@router.get("/runs/{run_id}/checkpoints")
def run_checkpoints(run_id: RUN_ID, store: StoreDep) -> dict[str, Any]:
    """The run's checkpoints (id, step, reason, size, time), without their bytes."""
    return {"checkpoints": call(store.checkpoints, run_id)}


class RunChange(BaseModel):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    note: str | None = Field(None, max_length=MAX_NOTE)
    tags: list[Annotated[str, Field(min_length=1, max_length=MAX_TAG)]] | None = Field(
        None, max_length=MAX_TAGS)
    starred: StrictBool | None = None


@router.patch("/runs/{run_id}")
def change_run(run_id: RUN_ID, change: RunChange, store: StoreDep,
               key: OwnerDep) -> dict[str, Any]:
    """Rename, tag, annotate or star a run: its owner only."""
    return call(store.update_run, run_id, required(key), name=change.name, note=change.note,
                tags=change.tags, starred=change.starred)


@router.delete("/runs/{run_id}", status_code=204)
def delete_run(run_id: RUN_ID, store: StoreDep, key: OwnerDep) -> Response:
    """Delete a run and everything recorded for it: its owner only."""
    call(store.delete_run, run_id, required(key))
    return Response(status_code=204)


class Prune(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keep: StrictInt = Field(ge=0, le=10**6, description="runs to keep; starred runs count "
                                                        "and are never deleted")


@router.post("/runs/prune")
def prune_runs(body: Prune, store: StoreDep, key: OwnerDep) -> dict[str, Any]:
    """Delete the caller's oldest unstarred runs until ``keep`` remain. Nothing is ever
    pruned unless the owner asks here."""
    return {"deleted": call(store.prune, required(key), body.keep)}


@router.get("/store/status")
def store_status(request: Request, key: OwnerDep) -> dict[str, Any]:
    """Whether runs are recorded, and the recorder's state: ``paused`` with a ``code``
    (db_locked, db_full, db_unreachable, db_error) and a reason while the database is away.
    With an owner key, that owner's run count and bytes too."""
    store = getattr(request.app.state, "store", None)
    recorder = getattr(request.app.state, "recorder", None)
    out: dict[str, Any] = {"enabled": store is not None,
                           "recording": recorder.status() if recorder is not None else None}
    if store is not None and key is not None:
        out["usage"] = call(store.usage, key)
        q = store.quotas
        out["quotas"] = {"runs_per_owner": q.runs_per_owner, "run_bytes": q.run_bytes}
    return out


class ForkBody(BaseModel):
    """Which checkpoint to start from, and what to change."""

    model_config = ConfigDict(extra="forbid")
    checkpoint: StrictInt | None = Field(
        None, description="a checkpoint's id (GET /api/runs/{id}/checkpoints); null: the newest")
    config: dict[str, Any] = Field(
        default_factory=dict, description="fields to change: a live field (learning rate, "
        "optimizer, dropout ...) keeps the weights, another rebuilds the run")


@router.post("/runs/{run_id}/sessions", status_code=201,
             responses={404: {"description": "no such run or checkpoint"},
                        422: {"description": "a field to change is not allowed"}})
def continue_run(run_id: RUN_ID, body: ForkBody, request: Request, store: StoreDep,
                 key: OwnerDep) -> Any:
    """Continue a run (its newest checkpoint) or fork it (any checkpoint, with changed
    fields) in a new session, paused, recorded as a new run of the caller. Anyone with the
    run's id may; the run itself is not changed."""
    cps = call(store.checkpoints, run_id)
    if not cps:
        raise HTTPException(404, f"run {run_id!r} does not exist or has no checkpoint")
    if body.checkpoint is not None and body.checkpoint not in {c["id"] for c in cps}:
        raise HTTPException(404, f"checkpoint: {body.checkpoint} is not a checkpoint of run "
                                 f"{run_id!r}; GET /api/runs/{run_id}/checkpoints lists them")
    first = call(store.checkpoint_data, run_id, cps[0]["id"])
    blob = call(store.checkpoint_data, run_id, body.checkpoint)
    manager = request.app.state.manager
    try:
        csv_data, model_file = ckpt.uploads(first)
        trainer = ckpt.restore(blob, csv=csv_data, model_file=model_file)
        if body.config:
            trainer.set(body.config)
        session = manager.adopt(trainer, owner=key)
    except ckpt.CheckpointError as exc:
        raise HTTPException(422, f"checkpoint: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a refusal (ConfigError, AppError) is a 4xx
        error = as_app_error(exc)
        if error is None:
            raise
        return JSONResponse({"detail": error.detail()}, status_code=error.status)
    base = str(request.base_url).rstrip("/")
    return {"id": session.id, "token": session.token, "step": trainer.step_count,
            "config": trainer.config, "viewer_url": f"{base}/view/{session.id}",
            "control_url": f"{base}/s/{session.id}#token={session.token}"}


@router.get("/runs/{run_id}/export", response_class=Response,
            responses={200: {"content": {"application/zip": {}, "application/json": {},
                                         "application/octet-stream": {}}},
                       404: {"description": "no such run"}})
def export_run(run_id: RUN_ID, store: StoreDep,
               part: Literal["all", "config", "model"] = "all") -> Response:
    """Download a run: ``config`` (its configuration as JSON, what ``python -m engine train``
    reads), ``model`` (the newest checkpoint's weights as safetensors, as a session's model
    download), or ``all``: one zip with run.json (name, note, tags, kinds, configuration),
    history.csv, model.safetensors and checkpoint.safetensors (the newest checkpoint whole:
    weights, optimizer state, random states, history). The history alone is history.csv."""
    run = call(store.get_run, run_id)
    if run is None:
        raise HTTPException(404, f"run {run_id!r} does not exist (it may have been deleted)")
    name = f"run-{run_id}"
    if part == "config":
        return JSONResponse(run["config"], headers={
            "Content-Disposition": f'attachment; filename="{name}-config.json"'})
    cps = call(store.checkpoints, run_id)
    if not cps:
        raise HTTPException(404, f"run {run_id!r} has no checkpoint to export")
    first = call(store.checkpoint_data, run_id, cps[0]["id"])
    blob = call(store.checkpoint_data, run_id)
    csv_data, model_file = ckpt.uploads(first)
    try:
        model = ckpt.restore(blob, csv=csv_data, model_file=model_file).model_bytes()
    except ckpt.CheckpointError as exc:
        raise HTTPException(422, f"checkpoint: {exc}") from None
    if part == "model":
        return Response(model, media_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="{name}.safetensors"'})
    meta = {k: run[k] for k in ("id", "name", "note", "tags", "kinds", "starred", "config",
                                "data_seed", "created_at", "last_step")}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("run.json", json.dumps(meta, indent=1))
        z.writestr("history.csv", _history_text(store, run_id))
        z.writestr("model.safetensors", model)
        z.writestr("checkpoint.safetensors", blob)
    return Response(out.getvalue(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}.zip"'})
