"""Storing events on streams and emitting them after commit.

Services never emit. They call :func:`publish`, which stores the event with the next
sequence number of its stream in the caller's transaction and queues the emit; the emit
happens only after that transaction commits, and a rollback discards it. Streams are
named like rooms: ``workspace:<id>``, ``user:<id>``, ``case:<id>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.extensions import db, socketio
from app.realtime.models import Event, EventStream

_PENDING_KEY = "bridgework_after_commit"
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


def _next_seq(stream: str) -> int:
    result = db.session.execute(
        update(EventStream)
        .where(EventStream.stream == stream)
        .values(last_seq=EventStream.last_seq + 1)
        .returning(EventStream.last_seq)
    ).scalar_one_or_none()
    if result is not None:
        return result
    db.session.add(EventStream(stream=stream, last_seq=1))
    db.session.flush()
    return 1


def publish(stream: str, event_type: str, data: dict[str, Any]) -> Event:
    """Store an event on ``stream`` and emit it to the room of the same name after commit."""
    stored = Event(stream=stream, seq=_next_seq(stream), type=event_type, payload=data)
    db.session.add(stored)
    db.session.flush()
    after_commit(emit_stored, stored.as_message())
    return stored


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
    return [
        {"stream": name, "seq": seq, "type": kind, "data": payload, "at": at.isoformat() + "Z"}
        for name, seq, kind, payload, at in rows
    ]


def last_seq(stream: str) -> int:
    return db.session.scalar(select(EventStream.last_seq).where(EventStream.stream == stream)) or 0


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    for callback, args in pending:
        callback(*args)


@event.listens_for(Session, "after_soft_rollback")
def _discard_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None or not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)
