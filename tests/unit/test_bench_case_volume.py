"""The read benchmark's bulk cases read like the ones the case services write.

bench/case_volume.py writes most of the benchmark's cases and timeline entries in bulk
(the services would take hours for 200,000 entries). If what it wrote differed from what
the services write, the case reads would be measured on data the app never makes, so
this compares the two: the same workspace gets a case through the services and six in
bulk.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cases import service
from app.cases.models import Case, CaseComment, CaseCounter
from app.common import utcnow
from app.realtime.models import Event, EventStream
from tests.case_world import build_world

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH_DIR))

import case_volume  # noqa: E402
import http_data  # noqa: E402

BULK_CASES = 6
BULK_ENTRIES = 60


@pytest.fixture
def cases(db):
    """A case through the services (opened, moved, edited, commented on), then bulk ones."""
    world = build_world()
    people = world["people"]
    case = service.create_case(
        people["lead"],
        world["workspace"].id,
        title="Flooded underpass",
        priority="high",
        due_on=utcnow().date() + timedelta(days=5),
        department_ids=[world["drainage"].id, world["transport"].id],
        assignee_ids=[people["member"].id, people["transport_member"].id],
    )
    service.update_case(people["lead"], case.id, version=1, status="in_progress")
    service.update_case(people["member"], case.id, version=2, priority="urgent")
    service.add_comment(people["member"], case.id, "Crew on site, pumping started.")
    s = http_data._services()
    places = case_volume._places(s, exclude=0, count=1)
    writer = case_volume._BulkWriter(s, random.Random(5))
    writer.write_cases(places, BULK_CASES, BULK_ENTRIES, log=lambda _message: None, started=0.0)
    return {"world": world, "service_case": case.id, "workspace_id": world["workspace"].id}


def _shapes(events: list[Event], service_case: int) -> tuple[dict, dict]:
    """Payload shapes (key sets, the card's and the texts' too) by stream kind and type,
    for the service's case and for the bulk ones."""
    by_service, by_bulk = defaultdict(set), defaultdict(set)
    for event in events:
        kind, _, stream_id = event.stream.partition(":")
        case_id = event.payload["case"]["case_id"] if "case" in event.payload else int(stream_id)
        shape = (
            frozenset(event.payload),
            frozenset(event.payload.get("case", {})),
            frozenset(event.payload["texts"]),
        )
        (by_service if case_id == service_case else by_bulk)[kind, event.type].add(shape)
    return by_service, by_bulk


def test_bulk_events_have_the_shapes_of_the_services_events(db, cases):
    events = list(db.session.scalars(select(Event).where(Event.stream.like("case%"))))
    by_service, by_bulk = _shapes(events, cases["service_case"])

    assert set(by_bulk) == set(by_service)
    for kind_and_type, shapes in by_service.items():
        assert by_bulk[kind_and_type] == shapes, kind_and_type


def test_bulk_streams_are_numbered_without_gaps_up_to_their_last_number(db, cases):
    seqs = defaultdict(list)
    for stream, seq in db.session.execute(
        select(Event.stream, Event.seq).where(Event.stream.like("case%"))
    ):
        seqs[stream].append(seq)
    last = dict(
        db.session.execute(
            select(EventStream.stream, EventStream.last_seq).where(EventStream.stream.like("case%"))
        ).all()
    )

    assert set(seqs) == set(last)
    assert len(seqs) == 1 + BULK_CASES + 1  # a timeline per case, one board stream
    for stream, numbers in seqs.items():
        assert sorted(numbers) == list(range(1, last[stream] + 1)), stream


def test_bulk_cases_continue_the_numbering_and_stand_as_their_timeline_ends(db, cases):
    rows = list(
        db.session.scalars(
            select(Case).where(Case.workspace_id == cases["workspace_id"]).order_by(Case.number)
        )
    )
    counter = db.session.get(CaseCounter, cases["workspace_id"])

    assert [row.key for row in rows] == [f"FLOOD-{n}" for n in range(1, BULK_CASES + 2)]
    assert counter.last_number == BULK_CASES + 1
    timeline = 0
    for row in rows[1:]:
        events = list(
            db.session.scalars(
                select(Event).where(Event.stream == f"case:{row.id}").order_by(Event.seq)
            )
        )
        timeline += len(events)
        assert events[0].type == "case.created"
        card = [e.payload["case"] for e in events if "case" in e.payload][-1]
        assert (card["status"], card["priority"], card["version"]) == (
            row.status,
            row.priority,
            row.version,
        )
        assert card["due_on"] == (row.due_on.isoformat() if row.due_on else None)
        assert row.updated_at >= row.created_at
        assert 1 <= len(row.assignees) <= 3
        assert {u.department_id for u in row.assignees} <= {d.id for d in row.departments}
    assert timeline == BULK_CASES + BULK_ENTRIES


def test_the_case_page_shows_a_bulk_case_with_its_timeline_and_comments(db, cases):
    lead = cases["world"]["people"]["lead"]
    bulk_case = db.session.scalar(
        select(Case.id)
        .join(CaseComment, CaseComment.case_id == Case.id)
        .where(Case.id != cases["service_case"])
        .limit(1)
    )

    page = service.case_page(lead, bulk_case)

    commented = [e for e in page.timeline if e.type == "case.commented"]
    assert page.may_read
    assert len(page.comments) == len(commented) > 0
    assert {c.id for c in page.comments} == {e.payload["comment"]["id"] for e in commented}
    assert all(e.payload["text"] and e.payload["texts"]["zh_Hant"] for e in page.timeline)
