"""Socket.IO handlers: connect, subscribe to a stream, unsubscribe, disconnect.

Protocol (namespace ``/``):

- connect with the browser's session cookie, or ``auth={"token": "<API token>"}``;
  anything else is refused. The socket joins ``user:<id>`` (its notifications).
- ``subscribe`` ``{"stream": "workspace:12"}`` answers ``{"ok": true, "last_seq": N}``
  or ``{"ok": false, "error": {"code", "message"}}`` (codes ``invalid``,
  ``not_found``, ``forbidden``, ``unauthorized``). Events then arrive as ``event``
  ``{"stream", "seq", "type", "data", "at"}``.
- ``unsubscribe`` ``{"stream": ...}`` answers ``{"ok": true}``.
- ``unsubscribed`` ``{"stream", "reason"}`` tells a client it lost access to a stream.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request
from flask_login import current_user
from socketio.exceptions import ConnectionRefusedError

from app.errors import DomainError, Unauthorized
from app.extensions import db, socketio
from app.realtime import rooms

logger = logging.getLogger(__name__)


@socketio.on("connect")
def connect(auth: Any = None):
    rooms.open_connection(request.sid, auth, current_user)


@socketio.on("disconnect")
def disconnect(reason: Any = None) -> None:
    rooms.close_connection(request.sid)


@socketio.on("subscribe")
def subscribe(data: Any = None) -> dict:
    stream = rooms.parse_stream(data)
    return {"ok": True, "last_seq": rooms.subscribe(request.sid, stream)}


@socketio.on("unsubscribe")
def unsubscribe(data: Any = None) -> dict:
    rooms.unsubscribe(request.sid, rooms.parse_stream(data))
    return {"ok": True}


@socketio.on_error(rooms.NAMESPACE)
def refuse(error: Exception):
    """Turn a handler's exception into the acknowledgement the client receives.

    A failing ``connect`` refuses the connection, telling the client why when the reason
    is a refusal rather than a fault. An ended session also disconnects
    the socket, since every later request would fail the same way. The database
    session is rolled back first: a failed statement leaves PostgreSQL's transaction
    aborted, and the socket's next event would otherwise fail with it.
    """
    db.session.rollback()
    if request.event["message"] == "connect":
        rooms.close_connection(request.sid)
        if isinstance(error, DomainError):
            logger.info("Socket connection refused: %s", error.message)
            raise ConnectionRefusedError({"code": error.code, "message": error.message})
        logger.exception("Socket connection failed", exc_info=error)
        return False
    if isinstance(error, Unauthorized):
        socketio.server.disconnect(request.sid, namespace=rooms.NAMESPACE)
    if isinstance(error, DomainError):
        return {"ok": False, "error": {"code": error.code, "message": error.message}}
    logger.exception("Socket event %s failed", request.event["message"], exc_info=error)
    return {
        "ok": False,
        "error": {"code": "server_error", "message": "Something went wrong; try again."},
    }
