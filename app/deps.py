"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from .errors import short
from .session import Session
from .sessions import SessionManager
from .settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_manager(request: Request) -> SessionManager:
    return request.app.state.manager


SettingsDep = Annotated[Settings, Depends(get_settings)]
ManagerDep = Annotated[SessionManager, Depends(get_manager)]


def get_session(session_id: str, manager: ManagerDep) -> Session:
    session = manager.get(session_id)
    if session is None:
        raise HTTPException(404, f"session {short(session_id, 40)!r} does not exist (it may "
                                 "have ended)")
    return session


SessionDep = Annotated[Session, Depends(get_session)]


def control_session(session: SessionDep,
                    x_control_token: Annotated[str | None, Header()] = None) -> Session:
    """The session, if the request carries its control token (header X-Control-Token)."""
    if x_control_token is None:
        raise HTTPException(403, "this needs the session's control token in the "
                                 "X-Control-Token header")
    if not session.check_token(x_control_token):
        raise HTTPException(403, "the control token is wrong for this session")
    return session


ControlDep = Annotated[Session, Depends(control_session)]
