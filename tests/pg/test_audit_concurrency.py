"""Concurrent writers on PostgreSQL queue on the audit head row instead of forking the chain.

Eight threads append in lock-step rounds (a barrier releases them together), each in
its own app context and session, committing every entry separately. Without the row
lock two writers of a round read the same head, both claim the next sequence number and
one fails on the unique ``seq``; the test then fails on the writer errors, on the count
or on the chain. It runs in a database of its own, never the suite's.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import audit
from app.audit.models import AuditEntry
from app.audit.service import verify_chain
from app.extensions import db
from tests.concurrency import run_writers_in_step
from tests.second_app import second_app
from tests.services import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.one_pass("postgres")]

THREADS = 8
APPENDS = 25


@pytest.fixture(scope="module")
def pg_app(app, tmp_path_factory):
    """A second app on its own database (see tests/second_app.py)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": fresh_postgres_database("bridgework_audit_concurrency"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 0},
        "AUDIT_CHECKPOINT_DIR": str(tmp_path_factory.mktemp("concurrency-checkpoints")),
    }
    with second_app(config) as pg:
        yield pg


def _append(number: int, step: int) -> None:
    audit.record(
        None,
        "test.concurrent_append",
        "thread",
        number,
        actor_name=f"writer-{number}",
        detail={"step": step},
    )


def test_concurrent_appends_form_one_unbroken_chain(pg_app):
    errors = run_writers_in_step(pg_app, THREADS, APPENDS, _append)
    assert errors == []

    with pg_app.app_context():
        rows = db.session.execute(
            sa.select(AuditEntry.seq, AuditEntry.actor_name, AuditEntry.detail).order_by(
                AuditEntry.seq
            )
        ).all()
        total = THREADS * APPENDS
        assert [row.seq for row in rows] == list(range(1, total + 1))
        per_seq = db.session.execute(
            sa.select(AuditEntry.seq, sa.func.count())
            .group_by(AuditEntry.seq)
            .having(sa.func.count() > 1)
        ).all()
        assert per_seq == []
        for number in range(THREADS):
            steps = [r.detail["step"] for r in rows if r.actor_name == f"writer-{number}"]
            assert steps == list(range(APPENDS))
        result = verify_chain()
        assert result.ok, result
        assert result.checked == total
