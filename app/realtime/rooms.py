"""Who is connected, which streams they may follow, and taking them out again.

A socket is authenticated once when it connects (browser session or API token) and
again on every subscription, so an ended session, a revoked token or a deactivated
account cannot keep following a stream. Each stream kind (``workspace``, ``user``,
later ``case``) names the check that decides who may follow it.

Connections are remembered per process. With ``SOCKETIO_MESSAGE_QUEUE=redis://...``
several processes serve sockets, and Socket.IO only shares *emits* and operations on
socket ids a process already knows; so evictions and disconnections are announced on a
control channel of the same Redis, and every process applies them to its own sockets.
Every few minutes (``REALTIME_RECHECK_SECONDS``) each process also asks policy again for
every subscription it holds, which ends access that lapsed with time and repairs an
eviction lost in a Redis outage. Actions that take access away ask for a re-check of the
people concerned at once (:func:`recheck_users`).

The core knows no domain: domains register their stream kinds with :func:`stream_kind`,
and accounts registers how sessions and tokens become users with :func:`register_identity`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from socketio.exceptions import ConnectionRefusedError

from app.errors import DomainError, Invalid, NotFound, Unauthorized
from app.extensions import db, socketio
from app.realtime import presence
from app.realtime.streams import last_seq

logger = logging.getLogger(__name__)

NAMESPACE = "/"
MAX_STREAMS_PER_SOCKET = 100
STREAM_ID_MAX = 2**31 - 1
"""The largest id a stream may name: every object a stream follows has a 32-bit id column."""
_STREAM_PATTERN = re.compile(r"(?P<kind>[a-z]{1,32}):(?P<id>[1-9][0-9]{0,17})")

StreamCheck = Callable[[Any, int], None]
_STREAM_KINDS: dict[str, StreamCheck] = {}
UserLoader = Callable[[str], Any]
_identity: dict[str, UserLoader] = {}


def register_identity(*, session_user: UserLoader, token_user: UserLoader) -> None:
    """Name how a socket's session identity and API token become a user (accounts does).

    Each loader returns the active user, or ``None`` when the session or token no longer
    holds (signed out, revoked, expired, deactivated).
    """
    _identity["session"] = session_user
    _identity["token"] = token_user


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


# Streams ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    kind: str
    object_id: int

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.object_id}"


def stream_kind(kind: str) -> Callable[[StreamCheck], StreamCheck]:
    """Register the check ``(user, object_id) -> None`` that lets a user follow ``kind:<id>``.

    The check raises ``NotFound`` (or ``Forbidden``) for a user who may not follow it.
    """

    def register(check: StreamCheck) -> StreamCheck:
        if kind in _STREAM_KINDS:
            raise RuntimeError(f"stream kind {kind!r} registered twice")
        _STREAM_KINDS[kind] = check
        return check

    return register


def parse_stream(data: Any) -> Stream:
    """Read ``{"stream": "<kind>:<id>"}`` sent by a client.

    Raises:
        Invalid: not an object with a stream of a known kind and a positive id that
            fits the id columns (a larger one would make the database refuse the lookup).
    """
    raw = data.get("stream") if isinstance(data, dict) else None
    match = _STREAM_PATTERN.fullmatch(raw) if isinstance(raw, str) else None
    if match is None or match["kind"] not in _STREAM_KINDS or int(match["id"]) > STREAM_ID_MAX:
        raise Invalid(
            _('Send {"stream": "<kind>:<id>"} with a known kind, e.g. "workspace:12".'),
            fields={"stream": [_("Unknown or malformed stream name.")]},
        )
    return Stream(match["kind"], int(match["id"]))


@stream_kind("user")
def _own_user_stream(user, user_id: int) -> None:
    """Only the user themselves follows their notifications."""
    if user.id != user_id:
        raise NotFound(_("Stream not found."))


# Connections ------------------------------------------------------------------------------


@dataclass
class Connection:
    """How a socket proved who it is (session identity ``id:version``, or an API token),
    and the streams it follows besides its own user room."""

    user_id: int
    session_identity: str | None = None
    token: str | None = None
    streams: set[str] = field(default_factory=set)
    name: str = ""


class _Registry:
    """The sockets of this process, by socket id and by user, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: dict[str, Connection] = {}
        self.sids_by_user: dict[int, set[str]] = {}

    def add(self, sid: str, connection: Connection) -> None:
        with self.lock:
            self.connections[sid] = connection
            self.sids_by_user.setdefault(connection.user_id, set()).add(sid)

    def remove(self, sid: str) -> None:
        with self.lock:
            connection = self.connections.pop(sid, None)
            if connection is None:
                return
            sids = self.sids_by_user.get(connection.user_id, set())
            sids.discard(sid)
            if not sids:
                self.sids_by_user.pop(connection.user_id, None)

    def get(self, sid: str) -> Connection | None:
        with self.lock:
            return self.connections.get(sid)

    def sids_of(self, user_id: int) -> list[str]:
        with self.lock:
            return sorted(self.sids_by_user.get(user_id, ()))

    def following(self, sid: str) -> frozenset[str]:
        with self.lock:
            connection = self.connections.get(sid)
            return frozenset(connection.streams) if connection is not None else frozenset()

    def follow(self, sid: str, stream: str, following: bool) -> None:
        with self.lock:
            connection = self.connections.get(sid)
            if connection is not None:
                (connection.streams.add if following else connection.streams.discard)(stream)

    def followers(self, user_id: int, stream: str) -> list[str]:
        with self.lock:
            return sorted(
                sid
                for sid in self.sids_by_user.get(user_id, ())
                if stream in self.connections[sid].streams
            )

    def snapshot(self) -> list[tuple[str, Connection, frozenset[str]]]:
        with self.lock:
            return [(sid, c, frozenset(c.streams)) for sid, c in self.connections.items()]


_registry = _Registry()


def _authenticate(auth: Any, session_user: Any) -> Connection:
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        user = _identity["token"](token) if isinstance(token, str) else None
        if user is None:
            raise ConnectionRefusedError("The API token is expired, revoked or not valid.")
        return Connection(user.id, token=token, name=user.display_name)
    if session_user is not None and session_user.is_authenticated and session_user.active:
        return Connection(
            session_user.id,
            session_identity=session_user.get_id(),
            name=session_user.display_name,
        )
    raise ConnectionRefusedError("Sign in first, or connect with an API token.")


def _current_user(connection: Connection) -> Any | None:
    """The connection's user if their session or token is still good, else ``None``."""
    if connection.token is not None:
        user = _identity["token"](connection.token)
    else:
        user = _identity["session"](connection.session_identity or "")
    if user is None or user.id != connection.user_id:
        return None
    return user


def _end_read_snapshot() -> None:
    """Finish the current transaction so that the next query sees what committed since.

    Joining a room and then reading the stream's last sequence number must not read an
    older snapshot than the join, or an event committed in between would be missed.
    """
    db.session.commit()


def open_connection(sid: str, auth: Any, session_user: Any) -> int:
    """Authenticate a new socket, remember it and join it to its user's room.

    ``auth`` is what the client sent (``{"token": ...}`` for API clients); otherwise
    ``session_user`` (Flask-Login's user of the handshake's session cookie) counts.
    The account is checked once more after joining, so a deactivation that commits
    meanwhile cannot leave the socket connected. Returns the user's id.

    Raises:
        ConnectionRefusedError: no valid token or session, or the account is inactive.
    """
    connection = _authenticate(auth, session_user)
    _registry.add(sid, connection)
    socketio.server.enter_room(sid, user_room(connection.user_id), namespace=NAMESPACE)
    _end_read_snapshot()
    if _current_user(connection) is None:
        close_connection(sid)
        raise ConnectionRefusedError("The account is no longer active.")
    _start_background_work(current_app._get_current_object())
    return connection.user_id


def close_connection(sid: str) -> None:
    """Forget a socket that disconnected (its rooms go with it)."""
    _forget(sid)


def _forget(sid: str) -> None:
    """Drop a socket from the registry, and from the presence of the streams it followed."""
    _registry.remove(sid)
    for stream in presence.gone(sid):
        _presence_changed(stream)


def _presence_changed(stream: str) -> None:
    """Tell the stream's room who follows it now, and the other processes who follows it here."""
    presence.send(stream)
    app = current_app._get_current_object()
    _control(app).announce(
        {"op": "presence", "stream": stream, "viewers": presence.local_viewers(stream)}
    )


def socket_user(sid: str) -> Any:
    """The user behind ``sid``, checked again against their session or token.

    Raises:
        Unauthorized: the socket is unknown, the session ended, the token was revoked
        or expired, or the account was deactivated.
    """
    connection = _registry.get(sid)
    user = _current_user(connection) if connection is not None else None
    if user is None:
        raise Unauthorized(_("Your session has ended. Sign in again to receive live updates."))
    return user


def _check(sid: str, stream: Stream) -> None:
    _STREAM_KINDS[stream.kind](socket_user(sid), stream.object_id)


def subscribe(sid: str, stream: Stream) -> int:
    """Let socket ``sid`` follow ``stream`` if its user may; return the stream's last seq.

    Policy is asked before the socket joins the room and once more after, so a removal
    that commits while the socket joins cannot leave it inside.

    Raises:
        Unauthorized: see :func:`socket_user`.
        NotFound, Forbidden: the user may not follow this stream.
        Invalid: the socket already follows ``MAX_STREAMS_PER_SOCKET`` other streams.
    """
    following = _registry.following(sid)
    if stream.name not in following and len(following) >= MAX_STREAMS_PER_SOCKET:
        raise Invalid(
            _(
                "One connection follows at most %(count)s streams; unsubscribe from one first.",
                count=MAX_STREAMS_PER_SOCKET,
            )
        )
    _check(sid, stream)
    _end_read_snapshot()
    socketio.server.enter_room(sid, stream.name, namespace=NAMESPACE)
    _registry.follow(sid, stream.name, True)
    try:
        _check(sid, stream)
    except DomainError:
        _leave(sid, stream.name)
        raise
    connection = _registry.get(sid)
    if connection is not None and presence.joined(
        sid, stream.name, connection.user_id, connection.name
    ):
        _presence_changed(stream.name)
    return last_seq(stream.name)


def unsubscribe(sid: str, stream: Stream) -> None:
    """Stop socket ``sid`` following ``stream``; its own user room cannot be left."""
    connection = _registry.get(sid)
    if connection is not None and stream.name == user_room(connection.user_id):
        return
    _leave(sid, stream.name)


def _leave(sid: str, stream: str) -> None:
    socketio.server.leave_room(sid, stream, namespace=NAMESPACE)
    _registry.follow(sid, stream, False)
    if presence.left(sid, stream):
        _presence_changed(stream)


# Evicting and disconnecting -------------------------------------------------------------


def _evict_here(user_id: int, room: str) -> None:
    for sid in _registry.followers(user_id, room):
        _leave(sid, room)
        socketio.server.emit(
            "unsubscribed",
            {"stream": room, "reason": "access_removed"},
            to=sid,
            namespace=NAMESPACE,
            ignore_queue=True,
        )


def _disconnect_here(user_id: int) -> None:
    for sid in _registry.sids_of(user_id):
        socketio.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
        _forget(sid)


def disconnect_user_sockets(user_id: int) -> None:
    """Disconnect every socket of ``user_id``, on this process and, through Redis, others."""
    if socketio.server is None:
        return
    _disconnect_here(user_id)
    _control(current_app).announce({"op": "disconnect", "user_id": user_id})


def evict_user_from_room(user_id: int, room: str) -> None:
    """Take every socket of ``user_id`` out of ``room``, here and on other processes."""
    if socketio.server is None:
        return
    _evict_here(user_id, room)
    _control(current_app).announce({"op": "evict", "user_id": user_id, "room": room})


def recheck_users(user_ids: list[int]) -> None:
    """End, at once, the streams these users' sockets may no longer follow, on every process.

    Called after an action that may have taken access away (a member removed, roles or
    department changed, a delegation revoked), so nobody waits for the periodic sweep.
    """
    if socketio.server is None or not user_ids:
        return
    _recheck_here(user_ids)
    _control(current_app).announce({"op": "recheck", "user_ids": list(user_ids)})


def _recheck_here(user_ids: list[int]) -> int:
    wanted = set(user_ids)
    return _recheck([entry for entry in _registry.snapshot() if entry[1].user_id in wanted])


def recheck_subscriptions() -> int:
    """Ask policy again for every stream that every socket of this process follows.

    Catches what no single action announces: a membership that expired with time, or an
    eviction announced while Redis was unreachable. Sockets whose session or token ended
    are disconnected; streams no longer allowed are left. Returns how many were ended.
    """
    return _recheck(_registry.snapshot())


def _recheck(entries: list[tuple[str, Connection, frozenset[str]]]) -> int:
    if not entries:
        # Nobody to ask about on this process: nothing read, no snapshot to end (and the
        # request's objects stay loaded for its response).
        return 0
    ended = 0
    verdicts: dict[tuple[int, str], bool] = {}
    for sid, connection, streams in entries:
        user = _current_user(connection)
        if user is None:
            socketio.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
            _forget(sid)
            ended += 1
            continue
        for name in streams:
            key = (user.id, name)
            if key not in verdicts:
                verdicts[key] = _still_allowed(user, name)
            if not verdicts[key]:
                _evict_here(user.id, name)
                ended += 1
    db.session.commit()
    return ended


def _still_allowed(user, name: str) -> bool:
    try:
        stream = parse_stream({"stream": name})
        _STREAM_KINDS[stream.kind](user, stream.object_id)
    except DomainError:
        return False
    return True


# Background work per process ------------------------------------------------------------


def _start_background_work(app: Flask) -> None:
    """From the first socket on: listen to the control channel, re-check subscriptions.

    ``REALTIME_RECHECK_SECONDS`` sets the sweep's period; 0 switches it off.
    """
    _control(app).start()
    if app.config.get("REALTIME_RECHECK_SECONDS", 300) > 0:
        _sweeper(app).start()


class _Sweeper:
    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._started = False
        self._lock = threading.Lock()
        self.sweeps = 0

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        socketio.start_background_task(self._run)

    def _run(self) -> None:
        while True:
            socketio.sleep(self.interval)
            with self.app.app_context():
                try:
                    ended = recheck_subscriptions()
                    self.sweeps += 1
                    if ended:
                        logger.info("Ended %d live subscriptions no longer allowed", ended)
                except Exception:
                    logger.exception("Re-checking live subscriptions failed")
                finally:
                    db.session.remove()


def _sweeper(app: Flask) -> _Sweeper:
    with _extension_lock:
        sweeper = app.extensions.get("bridgework_realtime_sweeper")
        if sweeper is None:
            sweeper = _Sweeper(app, app.config.get("REALTIME_RECHECK_SECONDS", 300))
            app.extensions["bridgework_realtime_sweeper"] = sweeper
        return sweeper


_OPERATIONS: dict[str, Callable[[dict], Any]] = {
    "evict": lambda message: _evict_here(int(message["user_id"]), str(message["room"])),
    "disconnect": lambda message: _disconnect_here(int(message["user_id"])),
    "recheck": lambda message: _recheck_here([int(i) for i in message["user_ids"]]),
    "presence": lambda message: presence.heard(
        str(message["host"]), str(message["stream"]), list(message["viewers"])
    ),
}


class ControlChannel:
    """Evictions and disconnections shared by the processes behind one Redis.

    Every process listens (from its first socket on) and applies what others announce
    to its own sockets. An announcement that cannot reach Redis is retried in the
    background for ``retry_for`` seconds, so a short outage delays it rather than
    losing it.
    """

    def __init__(self, app: Flask, url: str | None, channel: str, retry_for: float = 120.0) -> None:
        self.app = app
        self.url = url if url and url.startswith(("redis://", "rediss://", "unix://")) else None
        self.channel = f"{channel}:realtime-control"
        self.retry_for = retry_for
        self.host_id = uuid.uuid4().hex
        self._client = None
        self._listening = False
        self._start_lock = threading.Lock()

    def _redis(self):
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(
                self.url, socket_timeout=5, socket_connect_timeout=2
            )
        return self._client

    def announce(self, message: dict) -> None:
        if self.url is None:
            return
        payload = json.dumps({**message, "host": self.host_id})
        if not self._publish(payload):
            socketio.start_background_task(self._publish_later, payload)

    def _publish(self, payload: str) -> bool:
        import redis

        try:
            self._redis().publish(self.channel, payload)
        except (redis.RedisError, OSError) as exc:
            logger.warning("Realtime control message not sent yet: %s", exc)
            return False
        return True

    def _publish_later(self, payload: str) -> None:
        waited = 0.0
        while waited < self.retry_for:
            socketio.sleep(1)
            waited += 1
            if self._publish(payload):
                return
        logger.error("Realtime control message dropped after %.0f s: %s", waited, payload)

    def start(self) -> None:
        if self.url is None:
            return
        with self._start_lock:
            if self._listening:
                return
            self._listening = True
        socketio.start_background_task(self._listen)

    def _listen(self) -> None:
        import redis

        pause = 0.5
        while True:
            try:
                client = redis.Redis.from_url(self.url, socket_connect_timeout=2)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                pause = 0.5
                for item in pubsub.listen():
                    self._handle(item.get("data"))
            except (redis.RedisError, OSError) as exc:
                logger.warning("Realtime control channel lost (%s); reconnecting", exc)
                socketio.sleep(pause)
                pause = min(pause * 2, 5.0)

    def _handle(self, data: Any) -> None:
        try:
            message = json.loads(data)
            if message.get("host") == self.host_id:
                return
            operation = _OPERATIONS[message["op"]]
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignored a malformed realtime control message: %r", data)
            return
        with self.app.app_context():
            try:
                operation(message)
            except (ValueError, KeyError, TypeError):
                logger.warning("Ignored a malformed realtime control message: %r", data)
            finally:
                db.session.remove()


_extension_lock = threading.Lock()


def _control(app: Flask) -> ControlChannel:
    with _extension_lock:
        channel = app.extensions.get("bridgework_realtime_control")
        if channel is None:
            channel = ControlChannel(
                app,
                app.config.get("SOCKETIO_MESSAGE_QUEUE"),
                app.config.get("SOCKETIO_CHANNEL", "bridgework"),
            )
            app.extensions["bridgework_realtime_control"] = channel
        return channel
