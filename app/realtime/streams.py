"""Storing events on streams and emitting them after commit.

Services never emit. They call :func:`publish`, which stores the event with the next
sequence number of its stream in the caller's transaction and queues the emit; the emit
happens only after that transaction commits, and a rollback discards it. An action stores
all of its events (its own and its notifications') together, in two statements
(:func:`publishing_together`). Streams are named like rooms: ``workspace:<id>``,
``user:<id>``, ``case:<id>``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    event,
    func,
    select,
)
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.common import plain_rows, utcnow
from app.extensions import db, socketio
from app.jsontext import JsonText
from app.realtime.models import Event, EventStream

_PENDING_KEY = "bridgework_after_commit"
_BATCH_KEY = "bridgework_event_batch"
MAX_CATCH_UP = 500


def stream_name(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def after_commit(callback: Callable[..., Any], *args: Any) -> None:
    """Run ``callback(*args)`` once the current transaction has committed.

    A rollback drops it. The transaction is begun here if nothing has used the session
    yet, so that a rollback before any query still counts.
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_PENDING_KEY, []).append((callback, args))


def publish(stream: str, event_type: str, data: dict[str, Any]) -> None:
    """Store an event on ``stream`` and emit it to the room of the same name after commit.

    Inside :func:`publishing_together` the event is stored with the block's others when
    the block ends; otherwise at once.
    """
    batch = db.session().info.get(_BATCH_KEY)
    if batch is not None:
        batch.append((stream, event_type, data))
    else:
        _store([(stream, event_type, data)])


@contextmanager
def publishing_together() -> Iterator[None]:
    """Store every event published inside the block together when it ends.

    However many events and streams (an action's event and a notification to each of
    its recipients), that is two statements: one hands out every stream's next sequence
    numbers, one inserts the events. A nested block joins the outer one; a block left by
    an exception stores nothing (its transaction is rolled back anyway).
    """
    info = db.session().info
    if _BATCH_KEY in info:
        yield
        return
    info[_BATCH_KEY] = []
    try:
        yield
    finally:
        pending = info.pop(_BATCH_KEY)
    if pending:
        _store(pending)


def _store(pending: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Number and insert ``pending`` events, in two statements, and queue their emits.

    Each stream's row is created or advanced by as many events as it gets, in one "insert
    or update ... returning" over every stream. That takes the rows' locks in stream
    name order, so two writers cannot deadlock on each other's streams; each stream's
    numbers stay contiguous and are never handed out twice.
    """
    counts = Counter(stream for stream, _type, _data in pending)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    upsert = insert(EventStream).values(
        [{"stream": stream, "last_seq": counts[stream]} for stream in sorted(counts)]
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[EventStream.stream],
        set_={"last_seq": EventStream.last_seq + upsert.excluded.last_seq},
    ).returning(EventStream.stream, EventStream.last_seq)
    last = {stream: seq for stream, seq in db.session.execute(upsert)}
    seq = {stream: last[stream] - counts[stream] for stream in counts}
    now = utcnow()
    rows = []
    for stream, event_type, data in pending:
        seq[stream] += 1
        rows.append(
            {
                "stream": stream,
                "seq": seq[stream],
                "type": event_type,
                "payload": data,
                "created_at": now,
            }
        )
    db.session.execute(sa_insert(Event), rows)
    for row in rows:
        after_commit(
            emit_stored,
            _message(
                row["stream"], row["seq"], row["type"], data=row["payload"], at=row["created_at"]
            ),
        )


def _message(stream: str, seq: int, event_type: str, *, data: Any, at: datetime) -> dict[str, Any]:
    """An event as sockets receive it (and as :meth:`Event.as_message` gives it)."""
    return {
        "stream": stream,
        "seq": seq,
        "type": event_type,
        "data": data,
        "at": at.isoformat() + "Z",
    }


def emit_stored(message: dict[str, Any]) -> None:
    socketio.emit("event", message, to=message["stream"])


def events_after(stream: str, after: int, limit: int = MAX_CATCH_UP) -> list[Event]:
    """Events of ``stream`` with a sequence number above ``after``, oldest first."""
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.stream == stream, Event.seq > after)
            .order_by(Event.seq)
            .limit(min(max(limit, 1), MAX_CATCH_UP))
        )
    )


def messages_after(stream: str, after: int, limit: int = MAX_CATCH_UP) -> list[dict[str, Any]]:
    """The catch-up of ``stream`` after ``after``, as the socket delivers each event.

    The same messages as ``[e.as_message() for e in events_after(...)]``, read as plain
    rows: a catch-up of 500 events built 500 ORM objects only to turn them into dicts.
    """
    rows = db.session.execute(
        select(Event.stream, Event.seq, Event.type, Event.payload, Event.created_at)
        .where(Event.stream == stream, Event.seq > after)
        .order_by(Event.seq)
        .limit(min(max(limit, 1), MAX_CATCH_UP))
    )
    return [_message(name, seq, kind, data=payload, at=at) for name, seq, kind, payload, at in rows]


def encoded_messages_after(stream: str, after: int, limit: int = MAX_CATCH_UP) -> JsonText:
    """:func:`messages_after` for an API answer, as JSON text (:mod:`app.jsontext`).

    The same messages, value for value (a test compares them), without decoding a
    payload only to encode it again: each is read as the JSON text it was stored as and
    written into its message as it is. The database only reads the rows; building the
    list there (``json_agg`` of a ``json_build_object`` per event, the time formatted by
    ``to_char``) cost it four times the read for a catch-up of 500 events, and the
    database shares the machine with the app. Here each event costs one ``isoformat()``.
    """
    parameters = {"stream": stream, "after": after, "limit": min(max(limit, 1), MAX_CATCH_UP)}
    return _encoded(stream, plain_rows(_message_texts(), parameters))


def catch_up(stream: str, after: int) -> dict[str, Any]:
    """A catch-up's answer in one statement: the messages after ``after``
    (:func:`encoded_messages_after`) and the stream's last sequence number.

    The stream's row is read with its events joined to it, so one round trip (and one
    snapshot) gives both; a stream without events has no row, and is at 0.
    """
    parameters = {"stream": stream, "after": max(after, 0), "limit": MAX_CATCH_UP}
    rows = plain_rows(_catch_up_rows(), parameters)
    if not rows:
        return {"items": JsonText("[]"), "last_seq": 0}
    events = [row[1:] for row in rows] if rows[0][1] is not None else []
    return {"items": _encoded(stream, events), "last_seq": rows[0][0]}


def _encoded(stream: str, rows: list) -> JsonText:
    """Events (``seq``, ``type``, payload as stored JSON text, ``created_at``) as the
    JSON text of their messages (:func:`_message`), each payload written as it is."""
    name = json.dumps(stream)
    types = {kind: json.dumps(kind) for kind in {row[1] for row in rows}}
    messages = [
        f'{{"stream": {name}, "seq": {seq}, "type": {types[kind]}, "data": {payload}, '
        f'"at": "{at.isoformat()}Z"}}'
        for seq, kind, payload, at in rows
    ]
    return JsonText("[" + ", ".join(messages) + "]")


@cache
def _catch_up_rows() -> Select:
    """The statement of :func:`catch_up`, built once: the stream's row, its events after
    ``after`` joined to it (none joined: one row of nulls), oldest first."""
    joined = and_(Event.stream == EventStream.stream, Event.seq > bindparam("after"))
    return (
        select(
            EventStream.last_seq,
            Event.seq,
            Event.type,
            cast(Event.payload, Text),
            Event.created_at,
        )
        .outerjoin(Event, joined)
        .where(EventStream.stream == bindparam("stream"))
        .order_by(Event.seq)
        .limit(bindparam("limit"))
    )


@cache
def _message_texts() -> Select:
    """The statement of :func:`encoded_messages_after`, built once (its stream, ``after``
    and ``limit`` are parameters): building it cost more Python than running it."""
    return (
        select(Event.seq, Event.type, cast(Event.payload, Text), Event.created_at)
        .where(Event.stream == bindparam("stream"), Event.seq > bindparam("after"))
        .order_by(Event.seq)
        .limit(bindparam("limit"))
    )


def latest_events(stream: str, limit: int) -> tuple[list[Row], int]:
    """The newest ``limit`` events of ``stream``, newest first, and its last sequence number.

    One statement: a page showing a live feed needs both, the second to catch up from.
    Each event is a plain row of what a feed shows (``seq``, ``payload``, ``created_at``):
    building fifty ORM objects cost the workspace page more than the rest of its read.
    """
    rows = db.session.execute(
        select(EventStream.last_seq, Event.seq, Event.payload, Event.created_at)
        .outerjoin(Event, Event.stream == EventStream.stream)
        .where(EventStream.stream == stream)
        .order_by(Event.seq.desc())
        .limit(limit)
    ).all()
    events = [row for row in rows if row.seq is not None]
    return events, (rows[0].last_seq if rows else 0) or 0


def last_seq(stream: str) -> int:
    return db.session.scalar(_last_seq(), {"stream": stream})


@cache
def _last_seq() -> Select:
    return select(last_seq_clause(bindparam("stream", type_=String)))


def last_seq_clause(stream: str) -> ColumnElement[int]:
    """The last sequence number of ``stream`` (0 before its first event), as SQL."""
    return func.coalesce(
        select(EventStream.last_seq).where(EventStream.stream == stream).scalar_subquery(), 0
    )


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    for callback, args in pending:
        callback(*args)


@event.listens_for(Session, "after_soft_rollback")
def _discard_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None or not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)
