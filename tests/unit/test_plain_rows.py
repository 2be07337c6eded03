"""Plain-row reads: run as SQL on the session's connection, a page's ids as one parameter,
times written as the API writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from app.api.schemas import UtcDateTime
from app.common import InIds, iso_utc, keyset_paginate, plain_rows
from app.realtime.models import Event


def _events(db, count: int) -> list[int]:
    events = [
        Event(stream="workspace:77", seq=n, type="t", payload={}) for n in range(1, count + 1)
    ]
    db.session.add_all(events)
    db.session.flush()
    return [event.id for event in events]


def test_in_ids_reads_exactly_the_ids_given_whatever_their_number(db):
    ids = _events(db, 5)
    stmt = select(Event.id).where(InIds(Event.id, "event_ids")).order_by(Event.id)
    for wanted in ([ids[2]], ids[1:4], ids, [ids[0], ids[4], 10**6]):
        rows = plain_rows(stmt, {"event_ids": wanted})
        assert [row[0] for row in rows] == sorted(i for i in wanted if i in ids)


def test_in_ids_is_one_array_parameter_on_postgresql_and_an_expanding_in_elsewhere():
    stmt = select(Event.id).where(InIds(Event.id, "event_ids"))
    on_postgresql = str(stmt.compile(dialect=postgresql.dialect()))
    on_sqlite = str(stmt.compile(dialect=sqlite.dialect()))
    assert "events.id = ANY (%(event_ids)s::INTEGER[])" in on_postgresql
    assert "IN (__[POSTCOMPILE_event_ids])" in on_sqlite


def test_plain_rows_see_changes_not_flushed_yet_as_the_session_would(db):
    db.session.add(Event(stream="workspace:78", seq=1, type="t", payload={}))
    rows = plain_rows(select(Event.seq).where(Event.stream == "workspace:78"))
    assert [row[0] for row in rows] == [1]


def test_a_keyset_page_of_a_statement_with_parameters_pages_by_key(db):
    _events(db, 7)
    stmt = select(Event.id, Event.seq).where(Event.stream == bindparam("stream"))

    def page(cursor=None):
        return keyset_paginate(
            stmt,
            Event.id,
            cursor=cursor,
            per_page=3,
            shape=lambda row: row.seq,
            parameters={"stream": "workspace:77"},
        )

    first = page()
    assert (first.items, first.total, first.newer) == ([7, 6, 5], 7, None)
    second = page(first.older)
    assert second.items == [4, 3, 2]
    assert page(second.older).items == [1]
    assert page(second.newer).items == [7, 6, 5]


def test_iso_utc_writes_a_time_as_the_api_schema_does():
    field = UtcDateTime()
    for moment in (
        datetime(2026, 11, 30, 8, 0, 0),
        datetime(2026, 11, 30, 8, 0, 0, 120),
        datetime(2026, 11, 30, 8, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 16, 0, 0, tzinfo=timezone(timedelta(hours=8))),
    ):
        assert iso_utc(moment) == field.serialize("at", {"at": moment})
    assert iso_utc(datetime(2026, 11, 30, 8, 0, 0)) == "2026-11-30T08:00:00+00:00"
    assert iso_utc(None) is None
