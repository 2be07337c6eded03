"""Who is following a stream right now (presence), for the stream kinds that ask for it.

A domain marks a stream kind with :func:`track_presence` (cases do, so that a case page
lists who else is looking at it). Every time a socket starts or stops following such a
stream, or disconnects, the room gets a ``presence`` message
``{"stream": "case:7", "viewers": [{"id": 3, "name": "Olivia Ho"}, ...]}``.

Each process knows its own sockets. With several processes behind Redis, each one
announces its own viewers of a stream on the realtime control channel whenever they
change (:mod:`app.realtime.rooms` does), keeps the latest list every other process
announced, and sends the union to *its own* sockets only (not through the message
queue): whenever its viewers change, and whenever it hears another process's change.
Were the union sent to every process's sockets, the last process to send would decide
what everyone sees, with what it happened to know. A process that hears news of a stream
it has viewers of answers with its own list, so one that started listening after those
viewers arrived learns of them. A process that dies without a word leaves its last list
behind until that stream's viewers change on it again after a restart; the periodic
sweep does not repair presence.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app

from app.extensions import socketio

_TRACKED: set[str] = set()


def track_presence(kind: str) -> None:
    """Send presence updates for every stream of ``kind`` (``"case"``)."""
    _TRACKED.add(kind)


def is_tracked(stream: str) -> bool:
    return stream.partition(":")[0] in _TRACKED


class _Viewers:
    """Viewers per stream: this process's sockets, and the lists other processes announced."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local: dict[str, dict[str, tuple[int, str]]] = {}
        self.remote: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def add(self, stream: str, sid: str, user_id: int, name: str) -> None:
        with self.lock:
            self.local.setdefault(stream, {})[sid] = (user_id, name)

    def discard(self, stream: str, sid: str) -> bool:
        with self.lock:
            sids = self.local.get(stream)
            if not sids or sid not in sids:
                return False
            del sids[sid]
            if not sids:
                del self.local[stream]
            return True

    def streams_of(self, sid: str) -> list[str]:
        with self.lock:
            return [stream for stream, sids in self.local.items() if sid in sids]

    def local_list(self, stream: str) -> list[dict[str, Any]]:
        with self.lock:
            people = {user_id: name for user_id, name in self.local.get(stream, {}).values()}
        return [{"id": user_id, "name": name} for user_id, name in people.items()]

    def set_remote(self, host: str, stream: str, viewers: list[dict[str, Any]]) -> bool:
        """Keep what ``host`` announced; whether it differs from what it said before."""
        with self.lock:
            streams = self.remote.setdefault(host, {})
            if streams.get(stream, []) == viewers:
                return False
            if viewers:
                streams[stream] = viewers
            else:
                streams.pop(stream, None)
            return True

    def merged(self, stream: str) -> list[dict[str, Any]]:
        people = {viewer["id"]: viewer for viewer in self.local_list(stream)}
        with self.lock:
            for streams in self.remote.values():
                for viewer in streams.get(stream, ()):
                    people.setdefault(viewer["id"], viewer)
        return sorted(people.values(), key=lambda viewer: (viewer["name"], viewer["id"]))


_viewers = _Viewers()


def viewers(stream: str) -> list[dict[str, Any]]:
    """Everyone following ``stream`` now, on this process and the others it heard from."""
    return _viewers.merged(stream)


def joined(sid: str, stream: str, user_id: int, name: str) -> bool:
    """Socket ``sid`` of user ``user_id`` follows ``stream``; whether presence changed."""
    if not is_tracked(stream):
        return False
    _viewers.add(stream, sid, user_id, name)
    return True


def left(sid: str, stream: str) -> bool:
    """Socket ``sid`` stopped following ``stream``; whether presence changed."""
    return is_tracked(stream) and _viewers.discard(stream, sid)


def gone(sid: str) -> list[str]:
    """Socket ``sid`` disconnected; returns the tracked streams it was following."""
    streams = _viewers.streams_of(sid)
    for stream in streams:
        _viewers.discard(stream, sid)
    return streams


def local_viewers(stream: str) -> list[dict[str, Any]]:
    """This process's own viewers of ``stream``, as announced to the other processes."""
    return _viewers.local_list(stream)


def heard(host: str, stream: str, viewers_there: list[dict[str, Any]]) -> None:
    """Another process announced its viewers of ``stream``: tell this process's sockets,
    and answer with this process's viewers (news to a process that started listening
    after they arrived; an unchanged answer ends the exchange)."""
    cleaned = [
        {"id": int(viewer["id"]), "name": str(viewer["name"])}
        for viewer in viewers_there
        if isinstance(viewer, dict)
    ]
    if not _viewers.set_remote(host, stream, cleaned):
        return
    send(stream)
    here = local_viewers(stream)
    # The control channel that brought the news (app.realtime.rooms keeps it on the app;
    # this module cannot import rooms, which imports it).
    channel = current_app.extensions.get("bridgework_realtime_control")
    if here and channel is not None:
        channel.announce({"op": "presence", "stream": stream, "viewers": here})


def send(stream: str) -> None:
    """Tell this process's sockets in the room of ``stream`` who follows it now.

    Not through the message queue: every process tells its own sockets the union it knows.
    """
    socketio.emit(
        "presence", {"stream": stream, "viewers": viewers(stream)}, to=stream, ignore_queue=True
    )
