"""Approvals that race on PostgreSQL are serialised on the request row.

The owner's head and the dpo approve the same request at the same moment (a barrier
releases both threads together, each with its own session). Each decision locks the
request row first, so the second one sees the first's approval and completes the request:
approved, with exactly one grant. Without the lock both would read "one approval
missing" and the request would stay endorsed with both approvals in. Two people of the
owning department approving at once get one approval and one conflict. It runs in a
database of its own, never the suite's.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.errors import Conflict
from app.extensions import db
from app.grants.models import Grant
from app.sharing import service
from app.sharing.models import DataRequest
from tests.second_app import second_app
from tests.services import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.one_pass("postgres")]


@pytest.fixture(scope="module")
def pg_app(app):
    """A second app on its own database (see tests/second_app.py)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": fresh_postgres_database("bridgework_request_race"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 6, "max_overflow": 0},
    }
    with second_app(config) as pg:
        yield pg


def _endorsed_request(pg_app, columns: list[str]) -> tuple[int, dict[str, int]]:
    from tests.request_world import request_world, scope

    with pg_app.app_context():
        w = request_world()
        request = service.file_request(
            w.requester,
            w.workspace.id,
            dataset_id=w.reports.id,
            submit=True,
            **scope(columns=columns, row_filter={}),
        )
        service.endorse_request(w.td_head, request.id)
        people = {name: getattr(w, name).id for name in ("dsd_head", "dsd_deputy", "dpo")}
        request_id = request.id
        db.session.remove()
        return request_id, people


def _race(pg_app, request_id: int, user_ids: list[int]) -> list[str]:
    from app.accounts.models import User

    barrier = threading.Barrier(len(user_ids))
    outcomes: list[str] = []

    def decide(user_id: int) -> None:
        with pg_app.app_context():
            try:
                actor = db.session.get(User, user_id)
                barrier.wait(timeout=30)
                service.approve_request(actor, request_id)
                outcomes.append("approved")
            except Conflict as exc:
                outcomes.append(exc.code)
            except Exception as exc:  # noqa: BLE001 (any other failure fails the test)
                outcomes.append(f"{exc.__class__.__name__}: {exc}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(uid,), daemon=True) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_owner_and_dpo_approving_at_once_complete_the_request(pg_app):
    request_id, people = _endorsed_request(pg_app, ["district", "reporter_phone"])
    outcomes = _race(pg_app, request_id, [people["dsd_head"], people["dpo"]])
    assert outcomes == ["approved", "approved"]
    with pg_app.app_context():
        request = db.session.get(DataRequest, request_id)
        assert request.status == "approved"
        assert request.owner_approved_by_id and request.dpo_approved_by_id
        grants = db.session.scalar(sa.select(sa.func.count()).where(Grant.request_id == request_id))
        assert grants == 1


def test_two_owner_approvers_at_once_give_one_approval(pg_app):
    request_id, people = _endorsed_request(pg_app, ["district", "reporter_phone"])
    outcomes = _race(pg_app, request_id, [people["dsd_head"], people["dsd_deputy"]])
    assert outcomes == ["already_approved", "approved"]
