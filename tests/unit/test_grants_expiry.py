"""`flask grants expire`: expired grants marked and notified once, reminders sent once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.common import utcnow
from app.extensions import db
from app.grants import revoking
from app.grants.models import Grant
from app.notifications.models import Notification
from tests.grant_world import make_grant, upload_reports
from tests.request_world import request_world


@pytest.fixture
def w(db):
    world = request_world()
    world.version = upload_reports(world)
    return world


def notices(subject_start: str) -> int:
    return db.session.scalar(
        select(func.count()).where(Notification.subject.startswith(subject_start))
    )


def test_cli_marks_reminds_and_is_idempotent(app, w):
    ended = make_grant(w, start=utcnow() - timedelta(days=31), days=30)
    ending = make_grant(w, start=utcnow() - timedelta(days=27), days=30)
    later = make_grant(w, days=60)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["grants", "expire"])
    assert first.exit_code == 0, first.output
    assert "1 grant(s) marked expired, 1 reminder(s) sent." in first.output
    db.session.expire_all()
    assert db.session.get(Grant, ended.id).expired_notified_at is not None
    assert db.session.get(Grant, ending.id).expiry_reminded_at is not None
    assert db.session.get(Grant, later.id).expiry_reminded_at is None
    expired_notices, reminders = notices("Grant expired"), notices("Grant ending soon")
    assert expired_notices >= 1 and reminders >= 1
    again = runner.invoke(args=["grants", "expire"])
    assert "0 grant(s) marked expired, 0 reminder(s) sent." in again.output
    assert (notices("Grant expired"), notices("Grant ending soon")) == (expired_notices, reminders)


def test_expiry_follows_a_frozen_clock(app, w, monkeypatch):
    grant = make_grant(w, days=10)
    assert revoking.expire_grants() == {"expired": 0, "reminded": 0}
    later = utcnow() + timedelta(days=4)
    assert revoking.expire_grants(now=later) == {"expired": 0, "reminded": 1}
    monkeypatch.setattr(revoking, "utcnow", lambda: later + timedelta(days=7))
    assert revoking.expire_grants() == {"expired": 1, "reminded": 0}
    db.session.expire_all()
    assert db.session.get(Grant, grant.id).state(later + timedelta(days=7)) == "expired"


def test_reminder_days_are_configurable(app, w, monkeypatch):
    make_grant(w, days=20)
    monkeypatch.setitem(app.config, "GRANT_EXPIRY_REMINDER_DAYS", 30)
    assert revoking.expire_grants() == {"expired": 0, "reminded": 1}
