"""Which sockets sit in which rooms, and removing users from them."""

from __future__ import annotations

from app.extensions import socketio


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def disconnect_user_sockets(user_id: int) -> None:
    """Disconnect every socket in ``user:<id>`` on this process and, through the queue, others."""
    server = socketio.server
    if server is None:
        return
    for sid, _eio_sid in list(server.manager.get_participants("/", user_room(user_id))):
        server.disconnect(sid, namespace="/")


def evict_user_from_room(user_id: int, room: str) -> None:
    """Take every socket of ``user:<id>`` out of ``room`` on this process."""
    server = socketio.server
    if server is None:
        return
    for sid, _eio_sid in list(server.manager.get_participants("/", user_room(user_id))):
        server.leave_room(sid, room, namespace="/")
