"""Concurrent publishers on PostgreSQL number each stream's events without gaps or repeats.

Eight threads publish in lock-step rounds (a barrier releases them together), each in its
own app context and session, outside any action (so no audit lock serializes them): every
round each writer stores, in one batch, an event on a stream new that round (all create it
at once), one on a stream shared by all, and one on its own and its neighbour's streams (so
batches overlap in different combinations). Numbers handed out twice fail on the events'
unique (stream, seq); a deadlock or any other error fails the test. It runs in a database
of its own, never the suite's.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.realtime import last_seq, publish, publishing_together
from app.realtime.models import Event
from tests.concurrency import run_writers_in_step
from tests.second_app import second_app
from tests.services import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.one_pass("postgres")]

THREADS = 8
ROUNDS = 20


@pytest.fixture(scope="module")
def pg_app(app, tmp_path_factory):
    """A second app on its own database (see tests/second_app.py)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": fresh_postgres_database("bridgework_event_concurrency"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 0},
        "AUDIT_CHECKPOINT_DIR": str(tmp_path_factory.mktemp("event-checkpoints")),
    }
    with second_app(config) as pg:
        yield pg


def _streams(number: int, step: int) -> list[str]:
    return [
        f"round:{step}",
        "shared:1",
        f"writer:{number}",
        f"writer:{(number + 1) % THREADS}",
    ]


def _publish_batch(number: int, step: int) -> None:
    with publishing_together():
        for stream in _streams(number, step):
            publish(stream, "test.published", {"writer": number, "step": step})


def test_concurrent_batches_number_every_stream_without_gaps(pg_app):
    errors = run_writers_in_step(pg_app, THREADS, ROUNDS, _publish_batch)
    assert errors == []

    expected: dict[str, int] = defaultdict(int)
    for number in range(THREADS):
        for step in range(ROUNDS):
            for stream in _streams(number, step):
                expected[stream] += 1
    with pg_app.app_context():
        rows = db.session.execute(
            sa.select(Event.stream, Event.seq).order_by(Event.stream, Event.seq)
        ).all()
        numbers: dict[str, list[int]] = defaultdict(list)
        for stream, seq in rows:
            numbers[stream].append(seq)
        assert {stream: len(seqs) for stream, seqs in numbers.items()} == expected
        for stream, seqs in numbers.items():
            assert seqs == list(range(1, expected[stream] + 1)), stream
            assert last_seq(stream) == expected[stream]
