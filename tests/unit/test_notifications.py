"""Notifications: created inside other services' transactions, read and marked by their owner."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.errors import Invalid, NotFound
from app.extensions import db as _db
from app.jsontext import JsonText
from app.notifications import service
from app.notifications.models import Notification
from app.realtime import events_after, last_seq
from tests.factories import make_notification, make_user


def count_notifications() -> int:
    return _db.session.scalar(select(func.count()).select_from(Notification))


def audit_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_notify_adds_one_row_per_active_person_and_pushes_the_unread_count(db):
    reader = make_user("officer")
    make_notification(reader)
    newcomer = make_user("officer")
    gone = make_user("officer", active=False)
    created = service.notify(
        [reader, newcomer, reader, gone, None],
        "workspace.invitation",
        "Invitation",
        "You are invited.",
        "/workspaces/1",
        actor=newcomer,
    )
    assert sorted(n.user_id for n in created) == sorted([reader.id, newcomer.id])
    pushed = events_after(f"user:{reader.id}", 0)
    assert [e.type for e in pushed] == ["notification.created"]
    assert pushed[0].payload["unread"] == 2
    assert pushed[0].payload["actor"] == newcomer.display_name
    assert pushed[0].payload["text"] == "You are invited."
    assert pushed[0].payload["link"] == "/workspaces/1"
    assert events_after(f"user:{gone.id}", 0) == []


def test_notify_only_flushes_so_a_rollback_takes_the_notifications_with_it(db, monkeypatch):
    emitted = []
    monkeypatch.setattr("app.realtime.streams.emit_stored", emitted.append)
    person = make_user("officer")
    db.session.commit()
    service.notify([person], "test", "Subject", "Text")
    db.session.rollback()
    assert count_notifications() == 0
    assert last_seq(f"user:{person.id}") == 0
    assert emitted == []


def test_notify_without_recipients_does_nothing(db):
    assert service.notify([], "test", "Subject", "Text") == []
    assert service.notify([make_user("officer", active=False)], "test", "S", "T") == []


def test_people_list_only_their_own_notifications_newest_first(db):
    owner = make_user("officer")
    stranger = make_user("officer")
    first = make_notification(owner)
    read = make_notification(owner, read=True)
    make_notification(stranger)
    page = service.list_notifications(owner)
    assert [n.id for n in page.items] == [read.id, first.id]
    assert [n.id for n in service.list_notifications(owner, unread=True).items] == [first.id]


def test_notification_pages_are_bounded(db):
    owner = make_user("officer")
    for _ in range(5):
        make_notification(owner)
    page = service.list_notifications(owner, page=2, per_page=2)
    assert (len(page.items), page.total, page.pages) == (2, 5, 3)
    assert service.list_notifications(owner, per_page=10_000).per_page == 100


def test_marking_read_audits_and_pushes_the_new_unread_count(db):
    owner = make_user("officer")
    one, two = make_notification(owner), make_notification(owner)
    result = service.mark_read(owner, [one.id])
    assert (result.marked, result.unread) == (1, 1)
    assert one.read_at is not None and two.read_at is None
    pushed = events_after(f"user:{owner.id}", 0)[-1]
    assert pushed.type == "notification.read"
    assert pushed.payload["unread"] == 1 and pushed.payload["ids"] == [one.id]
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (entry.action, entry.detail["ids"]) == ("notification.read", [one.id])


def test_marking_already_read_notifications_changes_nothing(db):
    owner = make_user("officer")
    read = make_notification(owner, read=True)
    audits = audit_count()
    result = service.mark_read(owner, [read.id])
    assert (result.marked, result.unread) == (0, 0)
    assert audit_count() == audits
    assert last_seq(f"user:{owner.id}") == 0


def test_nobody_marks_someone_elses_notifications(db):
    owner = make_user("officer")
    snoop = make_user("officer")
    mine = make_notification(snoop)
    theirs = make_notification(owner)
    with pytest.raises(NotFound):
        service.mark_read(snoop, [mine.id, theirs.id])
    db.session.expire_all()
    assert mine.read_at is None and theirs.read_at is None
    with pytest.raises(NotFound):
        service.mark_read(snoop, [987654])


def test_marking_nothing_is_invalid(db):
    with pytest.raises(Invalid):
        service.mark_read(make_user("officer"), [])


def test_mark_all_read_leaves_other_peoples_alone(db):
    owner = make_user("officer")
    other = make_user("officer")
    for _ in range(3):
        make_notification(owner)
    theirs = make_notification(other)
    result = service.mark_all_read(owner)
    assert (result.marked, result.unread) == (3, 0)
    assert service.unread_count(owner) == 0
    db.session.expire_all()
    assert theirs.read_at is None
    pushed = events_after(f"user:{owner.id}", 0)[-1]
    assert pushed.payload == {
        "text": "3 notifications marked read",
        "texts": {
            "en": "3 notifications marked read",
            "zh_Hant": "已將 3 項通知標示為已讀",
            "zh_Hans": "已将 3 条通知标记为已读",
        },
        "actor": owner.display_name,
        "actor_id": owner.id,
        "unread": 0,
        "all": True,
        "count": 3,
    }


def test_the_bell_shows_unread_count_and_stream_position(db):
    from flask_login import AnonymousUserMixin

    owner = make_user("officer")
    service.notify([owner], "test", "One", "One.")
    service.notify([owner], "test", "Two", "Two.")
    bell = service.bell(owner)
    assert (bell.unread, bell.last_seq) == (2, 2)
    assert service.bell(AnonymousUserMixin()) is None
    assert service.bell(make_user("officer", active=False)) is None


def test_user_events_are_the_callers_own_stream(db):
    owner = make_user("officer")
    other = make_user("officer")
    service.notify([owner], "test", "One", "One.")
    service.notify([other], "test", "Theirs", "Theirs.")
    service.notify([owner], "test", "Two", "Two.")
    batch = service.user_events(owner, 1)
    items = batch["items"]
    items = items.value() if isinstance(items, JsonText) else items  # PostgreSQL writes JSON
    assert [m["data"]["subject"] for m in items] == ["Two"]
    assert batch["last_seq"] == 2
    assert all(m["stream"] == f"user:{owner.id}" for m in items)
