"""Who is connected, which streams they may follow, and taking them out again.

A socket is authenticated once when it connects (browser session or API token) and
again on every subscription, so an ended session, a revoked token or a deactivated
account cannot keep following a stream. Each stream kind (``workspace``, ``user``,
later ``case``) names the check that decides who may follow it, and may name a cheaper
shortcut that settles the common case (a current member) in one single-row query.

Opening sockets has to be cheap: after a restart every browser reconnects at once. So a
socket's credential is checked as plain columns in one statement (accounts'
``session_caller``/``token_caller``), the full user (roles, department) is loaded only
when a stream's full check needs it, and on PostgreSQL a handler keeps one pooled
connection and runs its reads without a transaction around them (see
:func:`_end_read_snapshot` and :func:`_reads_without_transaction`).

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
from functools import cache
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from socketio.exceptions import ConnectionRefusedError
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    bindparam,
    false,
    select,
)
from sqlalchemy.engine import Engine

from app.common import utcnow
from app.errors import DomainError, Invalid, NotFound, Unauthorized
from app.extensions import db, socketio
from app.realtime import presence
from app.realtime.streams import last_seq_clause

logger = logging.getLogger(__name__)

NAMESPACE = "/"
MAX_STREAMS_PER_SOCKET = 100
STREAM_ID_MAX = 2**31 - 1
"""The largest id a stream may name: every object a stream follows has a 32-bit id column."""
_STREAM_PATTERN = re.compile(r"(?P<kind>[a-z]{1,32}):(?P<id>[1-9][0-9]{0,17})")

StreamCheck = Callable[[Any, int], None]
StreamShortcut = Callable[[BindParameter, BindParameter, BindParameter], ColumnElement[bool]]
_STREAM_KINDS: dict[str, StreamCheck] = {}
_SHORTCUTS: dict[str, StreamShortcut] = {}
CallerLoader = Callable[[str], Any]
HolderHint = Callable[[str], "int | None"]
HoldsClause = Callable[[], ColumnElement[bool]]
HoldsParameters = Callable[[str], "dict[str, Any] | None"]
UserLoader = Callable[[int], Any]
_identity: dict[str, Callable[..., Any]] = {}


def register_identity(
    *,
    session_caller: CallerLoader,
    token_caller: CallerLoader,
    token_holder: HolderHint,
    session_holds: HoldsClause,
    session_parameters: HoldsParameters,
    token_holds: HoldsClause,
    token_parameters: HoldsParameters,
    user: UserLoader,
) -> None:
    """Name how sockets are identified (accounts does).

    ``session_caller`` and ``token_caller`` turn a session identity or an API token into
    its holder, an object with ``user_id`` and ``display_name``, or ``None`` when it no
    longer holds (signed out, revoked, expired, deactivated); each is one cheap statement.
    ``token_holder(token)`` names, without a statement, the user a token was found to
    belong to before in this process (``None`` if unknown or the secret does not match).
    ``session_holds()`` and ``token_holds()`` give the same test as an SQL truth value
    (built once, over bind parameters: ``user_id``, ``now`` and those that
    ``session_parameters(identity)`` or ``token_parameters(token)`` give, ``None`` for a
    malformed one), so a subscription asks it in the statement that asks the membership.
    ``user(user_id)`` returns the active user with what policy asks of them (roles), for
    the stream checks.
    """
    _identity["session"] = session_caller
    _identity["token"] = token_caller
    _identity["token_holder"] = token_holder
    _identity["session_holds"] = session_holds
    _identity["session_parameters"] = session_parameters
    _identity["token_holds"] = token_holds
    _identity["token_parameters"] = token_parameters
    _identity["user"] = user


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


def stream_kind(
    kind: str, *, shortcut: StreamShortcut | None = None
) -> Callable[[StreamCheck], StreamCheck]:
    """Register the check ``(user, object_id) -> None`` that lets a user follow ``kind:<id>``.

    The check raises ``NotFound`` (or ``Forbidden``) for a user who may not follow it.
    ``shortcut(user_id, object_id, now)``, if given, is asked first: it receives bind
    parameters and returns an SQL truth value over one row (e.g. "a current membership
    exists"), built once and then only bound to each socket's values. True means they may
    certainly follow, and spares loading the user and the object; false leaves the
    decision to the check. Being SQL, it is asked together with the credential and the
    stream's position in the one statement after joining.
    """

    def register(check: StreamCheck) -> StreamCheck:
        if kind in _STREAM_KINDS:
            raise RuntimeError(f"stream kind {kind!r} registered twice")
        _STREAM_KINDS[kind] = check
        if shortcut is not None:
            _SHORTCUTS[kind] = shortcut
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


def _is_own_user_stream(
    user_id: BindParameter, stream_user_id: BindParameter, _now: BindParameter
) -> ColumnElement[bool]:
    return user_id == stream_user_id


@stream_kind("user", shortcut=_is_own_user_stream)
def _own_user_stream(user, user_id: int) -> None:
    """Only the user themselves follows their notifications."""
    if user.id != user_id:
        raise NotFound(_("Stream not found."))


# Connections ------------------------------------------------------------------------------


@dataclass
class Connection:
    """How a socket proved who it is (session identity ``id:version:key``, or an API
    token), and the streams it follows besides its own user room."""

    user_id: int
    session_identity: str | None = None
    token: str | None = None
    streams: set[str] = field(default_factory=set)
    name: str = ""

    def caller(self) -> Any:
        """Who its session or token signs in now (one statement), or ``None``."""
        if self.token is not None:
            return _identity["token"](self.token)
        return _identity["session"](self.session_identity or "")

    def holds(self) -> bool:
        """Whether its session or token still signs its user in (one statement)."""
        caller = self.caller()
        return caller is not None and caller.user_id == self.user_id

    @property
    def credential(self) -> str:
        return "token" if self.token is not None else "session"

    def holds_parameters(self) -> dict[str, Any] | None:
        """The bind parameters of its credential's SQL test, ``None`` if it is malformed."""
        if self.token is not None:
            parameters = _identity["token_parameters"](self.token)
        else:
            parameters = _identity["session_parameters"](self.session_identity or "")
        return None if parameters is None else {**parameters, "user_id": self.user_id}


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


_TOKEN_REFUSED = "The API token is expired, revoked or not valid."  # noqa: S105 (a message)
_ACCOUNT_REFUSED = "The account is no longer active."


def _authenticate(auth: Any, session_user: Any) -> Connection:
    """Whom the socket's token or session names, before it joins any room.

    A token this process has seen before is recognised without a statement (its secret
    matched the hash read then); whether it still holds is asked after joining.
    """
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        if not isinstance(token, str):
            raise ConnectionRefusedError(_TOKEN_REFUSED)
        user_id = _identity["token_holder"](token)
        if user_id is None:
            caller = _identity["token"](token)
            if caller is None:
                raise ConnectionRefusedError(_TOKEN_REFUSED)
            user_id = caller.user_id
        return Connection(user_id, token=token)
    if session_user is not None and session_user.is_authenticated and session_user.active:
        return Connection(
            session_user.id,
            session_identity=session_user.get_id(),
            name=session_user.display_name,
        )
    raise ConnectionRefusedError("Sign in first, or connect with an API token.")


def _reads_without_transaction() -> None:
    """Run this handler's statements each in a transaction of its own, on PostgreSQL.

    Connect and subscribe only read, and at READ COMMITTED every statement takes a new
    snapshot anyway: a transaction around them buys nothing and costs two round trips
    (BEGIN, then ROLLBACK when the handler ends). The pool puts the connection's usual
    level back when it is returned. A session already in a transaction, or bound to a
    connection that someone else manages (the tests' outer transaction), is left alone;
    so is SQLite, whose transactions the app begins itself.
    """
    session = db.session()
    bind = session.get_bind()
    if (
        isinstance(bind, Engine)
        and bind.dialect.name == "postgresql"
        and not session.in_transaction()
    ):
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _each_statement_sees_commits() -> bool:
    """Whether every statement reads what committed before it began, transaction or not.

    PostgreSQL at READ COMMITTED (its default, which the app keeps) takes a new snapshot
    for each statement, and so does any database without a transaction around each
    statement; SQLite, and PostgreSQL at REPEATABLE READ or SERIALIZABLE, keep one snapshot
    for the whole transaction. Asks no query: the level is the connection's execution
    option, else the one the dialect found when it first connected.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return False
    level = connection.get_execution_options().get("isolation_level")
    return (level or connection.default_isolation_level) in ("READ COMMITTED", "AUTOCOMMIT")


def _end_read_snapshot() -> None:
    """Make sure that the next query sees what committed since the last one.

    Joining a room and then checking access (or reading the stream's last sequence
    number) must not read an older snapshot than the join, or a removal or an event
    committed in between would be missed. Where each statement takes its own snapshot
    (PostgreSQL at READ COMMITTED, or reading outside a transaction) nothing needs to end,
    and the handler keeps its one pooled connection; elsewhere the transaction is
    committed (it only read), which hands the connection back and takes another for the
    next query.
    """
    if not _each_statement_sees_commits():
        db.session.commit()


def open_connection(sid: str, auth: Any, session_user: Any) -> int:
    """Authenticate a new socket, remember it and join it to its user's room.

    ``auth`` is what the client sent (``{"token": ...}`` for API clients); otherwise
    ``session_user`` (Flask-Login's user of the handshake's session cookie) counts.
    The session or token is checked after joining (one statement), so a deactivation,
    sign-out or revocation that commits meanwhile cannot leave the socket connected; a
    token this process already knows is not looked up before joining as well. Returns
    the user's id.

    Raises:
        ConnectionRefusedError: no valid token or session, or the account is inactive.
    """
    _reads_without_transaction()
    connection = _authenticate(auth, session_user)
    _registry.add(sid, connection)
    socketio.server.enter_room(sid, user_room(connection.user_id), namespace=NAMESPACE)
    _end_read_snapshot()
    caller = connection.caller()
    if caller is None or caller.user_id != connection.user_id:
        close_connection(sid)
        raise ConnectionRefusedError(_TOKEN_REFUSED if connection.token else _ACCOUNT_REFUSED)
    connection.name = caller.display_name
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


def _ended() -> Unauthorized:
    return Unauthorized(_("Your session has ended. Sign in again to receive live updates."))


def _require_follow(user_id: int, stream: Stream, load_user: Callable[[], Any]) -> None:
    """Raise unless the user may follow ``stream``: the kind's shortcut, else its full check.

    ``load_user`` gives the user with their roles; it is called only when the shortcut
    (one single-row query) does not settle it.
    """
    statement = _shortcut_statement(stream.kind)
    if statement is None or not db.session.scalar(statement, _parameters(user_id, stream)):
        _STREAM_KINDS[stream.kind](load_user(), stream.object_id)


def _parameters(user_id: int, stream: Stream) -> dict[str, Any]:
    """The bind parameters of the statements below, for this user and stream."""
    return {
        "user_id": user_id,
        "object_id": stream.object_id,
        "stream": stream.name,
        "now": utcnow(),
    }


def _shortcut_clause(kind: str) -> ColumnElement[bool]:
    shortcut = _SHORTCUTS.get(kind)
    if shortcut is None:
        return false()
    return shortcut(
        bindparam("user_id", type_=Integer),
        bindparam("object_id", type_=Integer),
        bindparam("now", type_=DateTime),
    )


@cache
def _shortcut_statement(kind: str) -> Select | None:
    """Ask the kind's shortcut alone; built once per kind (``None``: the kind has none)."""
    return select(_shortcut_clause(kind)) if kind in _SHORTCUTS else None


@cache
def _confirm_statement(kind: str, credential: str) -> Select:
    """Ask the credential, the kind's shortcut and the stream's position; built once."""
    return select(
        _identity[f"{credential}_holds"](),
        _shortcut_clause(kind),
        last_seq_clause(bindparam("stream", type_=String)),
    )


def _user_loader(connection: Connection) -> Callable[[], Any]:
    def load_user() -> Any:
        user = _identity["user"](connection.user_id)
        if user is None:
            raise _ended()
        return user

    return load_user


def _confirm(connection: Connection, stream: Stream) -> int:
    """After joining: raise unless the credential holds and the user may follow ``stream``.

    Returns the stream's last sequence number. For a current member that is one
    statement asking the credential, the shortcut and the position together; the kind's
    full check runs only when the shortcut does not settle it. The position is read after
    joining, so an event stored meanwhile reaches the socket or is counted in it.
    """
    credential = connection.holds_parameters()
    if credential is None:
        raise _ended()
    holds, settled, seq = db.session.execute(
        _confirm_statement(stream.kind, connection.credential),
        {**_parameters(connection.user_id, stream), **credential},
    ).one()
    if not holds:
        raise _ended()
    if not settled:
        _STREAM_KINDS[stream.kind](_user_loader(connection)(), stream.object_id)
    return seq


def subscribe(sid: str, stream: Stream) -> int:
    """Let socket ``sid`` follow ``stream`` if its user may; return the stream's last seq.

    Whether the user may follow the stream is asked before the socket joins the room;
    after joining, that again and whether the session or token still holds, in one
    statement with the stream's position (:func:`_confirm`). So a removal or a
    deactivation that commits while the socket joins cannot leave it inside, and a socket
    whose credential ended is disconnected.

    Raises:
        Unauthorized: the socket is unknown, the session ended, the token was revoked
            or expired, or the account was deactivated.
        NotFound, Forbidden: the user may not follow this stream.
        Invalid: the socket already follows ``MAX_STREAMS_PER_SOCKET`` other streams.
    """
    _reads_without_transaction()
    following = _registry.following(sid)
    if stream.name not in following and len(following) >= MAX_STREAMS_PER_SOCKET:
        raise Invalid(
            _(
                "One connection follows at most %(count)s streams; unsubscribe from one first.",
                count=MAX_STREAMS_PER_SOCKET,
            )
        )
    connection = _registry.get(sid)
    if connection is None:
        raise _ended()
    _require_follow(connection.user_id, stream, _user_loader(connection))
    _end_read_snapshot()
    socketio.server.enter_room(sid, stream.name, namespace=NAMESPACE)
    _registry.follow(sid, stream.name, True)
    try:
        seq = _confirm(connection, stream)
    except DomainError:
        _leave(sid, stream.name)
        raise
    if presence.joined(sid, stream.name, connection.user_id, connection.name):
        _presence_changed(stream.name)
    return seq


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
    users: dict[int, Any] = {}
    for sid, connection, streams in entries:
        if not connection.holds():
            socketio.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
            _forget(sid)
            ended += 1
            continue
        for name in streams:
            key = (connection.user_id, name)
            if key not in verdicts:
                verdicts[key] = _still_allowed(connection.user_id, name, users)
            if not verdicts[key]:
                _evict_here(connection.user_id, name)
                ended += 1
    db.session.commit()
    return ended


def _still_allowed(user_id: int, name: str, users: dict[int, Any]) -> bool:
    """Whether the user may still follow ``name``; ``users`` keeps each user loaded once."""

    def load_user() -> Any:
        if user_id not in users:
            users[user_id] = _identity["user"](user_id)
        if users[user_id] is None:
            raise _ended()
        return users[user_id]

    try:
        _require_follow(user_id, parse_stream({"stream": name}), load_user)
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
