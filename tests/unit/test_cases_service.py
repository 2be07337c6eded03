"""Case services: numbering, editing with optimistic locking, comments, attachments, links,
overdue reminders, and what each change records and tells."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.cases import service
from app.cases.access import TooLarge
from app.cases.models import Case
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.notifications.models import Notification
from app.realtime import events_after
from tests.case_world import build_world


@pytest.fixture
def world(db):
    return build_world()


def _open(world, who="lead", **fields):
    people = world["people"]
    fields.setdefault("title", "Sha Tin flooding, typhoon signal No. 8")
    return service.create_case(people[who], world["workspace"].id, **fields)


def _notified(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_cases_are_numbered_within_their_workspace_with_a_key(world):
    first, second = _open(world), _open(world, title="Road closure on Tai Po Road")
    assert (first.number, second.number) == (1, 2)
    assert (first.key, second.key) == ("FLOOD-1", "FLOOD-2")
    assert first.status == "open" and first.version == 1


def test_create_defaults_departments_to_the_actors_and_checks_assignees(world):
    people = world["people"]
    case = _open(
        world,
        department_ids=[world["drainage"].id, world["transport"].id],
        assignee_ids=[people["transport_member"].id],
        priority="urgent",
    )
    assert {d.code for d in case.departments} == {"DSD", "TD"}
    assert [u.username for u in case.assignees] == ["tom"]
    assert _notified(people["transport_member"])[0].subject == "FLOOD-1 was assigned to you"
    plain = _open(world)
    assert [d.code for d in plain.departments] == ["DSD"]


def test_create_reports_every_bad_field_at_once(world):
    people = world["people"]
    with pytest.raises(Invalid) as refused:
        _open(
            world,
            title=" ",
            priority="whenever",
            due_on=date.today() - timedelta(days=1),
            department_ids=[world["water"].id + 999],
            assignee_ids=[people["outsider"].id],
        )
    assert set(refused.value.fields) >= {"title", "priority", "due_on", "department_ids"}


def test_assignee_must_belong_to_an_involved_department(world):
    people = world["people"]
    with pytest.raises(Invalid) as refused:
        _open(world, assignee_ids=[people["transport_member"].id])
    assert "assignee_ids" in refused.value.fields


def test_update_changes_fields_records_before_and_after_and_bumps_version(world):
    case = _open(world)
    updated = service.update_case(
        world["people"]["member"], case.id, version=1, priority="high", title="Sha Tin flooding"
    )
    assert updated.version == 2 and updated.priority == "high"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.updated")).one()
    assert entry.detail["changes"]["priority"] == {"from": "normal", "to": "high"}
    timeline = events_after(f"case:{case.id}", 0)
    assert [e.type for e in timeline] == ["case.created", "case.updated"]
    assert timeline[-1].payload["changes"]["title"]["to"] == "Sha Tin flooding"
    board_events = events_after(f"cases:{world['workspace'].id}", 0)
    assert board_events[-1].payload["case"]["version"] == 2
    assert events_after(f"workspace:{world['workspace'].id}", 0) == []


def test_a_stale_version_is_refused_and_changes_nothing(world):
    people = world["people"]
    case = _open(world)
    service.update_case(people["lead"], case.id, version=1, status="in_progress")
    with pytest.raises(Conflict) as refused:
        service.update_case(people["member"], case.id, version=1, priority="low")
    assert refused.value.code == "stale"
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert (stored.priority, stored.status, stored.version) == ("normal", "in_progress", 2)


def test_moving_a_case_is_its_own_action_and_tells_assignees(world):
    people = world["people"]
    case = _open(world, assignee_ids=[people["member"].id])
    service.update_case(people["lead"], case.id, version=1, status="blocked")
    assert db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "case.moved")
    ).one()
    subjects = [n.subject for n in _notified(people["member"])]
    assert "FLOOD-1 changed" in subjects


def test_the_same_values_again_change_nothing(world):
    case = _open(world)
    again = service.update_case(world["people"]["lead"], case.id, version=1, priority="normal")
    assert again.version == 1
    assert [e.type for e in events_after(f"case:{case.id}", 0)] == ["case.created"]


def test_comment_mentions_notify_the_mentioned_member_only(world):
    people = world["people"]
    case = _open(world)
    comment = service.add_comment(
        people["lead"], case.id, "@tom can Transport close the underpass? cc @nobody"
    )
    assert comment.id
    assert [n.kind for n in _notified(people["transport_member"])] == ["case.mentioned"]
    assert _notified(people["member"]) == []
    with pytest.raises(Invalid):
        service.add_comment(people["lead"], case.id, "   ")


def _upload(world, case, content: bytes, name: str, who="lead"):
    return service.add_attachment(world["people"][who], case.id, io.BytesIO(content), name)


def test_attachments_are_typed_by_content_and_stored_under_a_generated_name(world, app):
    case = _open(world)
    pdf = _upload(world, case, b"%PDF-1.7\n...", "gauges.pdf")
    csv = _upload(world, case, "station,level\n沙田,4.2\n".encode(), "levels.csv")
    text = _upload(world, case, b"plain notes", "notes.md")
    assert (pdf.content_type, csv.content_type, text.content_type) == (
        "application/pdf",
        "text/csv",
        "text/plain",
    )
    assert pdf.stored_name != "gauges.pdf" and pdf.stored_name.endswith(".pdf")
    download = service.attachment_for_download(world["people"]["observer"], case.id, pdf.id)
    assert download.path.read_bytes() == b"%PDF-1.7\n..."


def test_an_executable_claiming_to_be_a_pdf_is_refused(world):
    case = _open(world)
    with pytest.raises(Invalid) as refused:
        _upload(world, case, b"MZ\x90\x00\x03\x00\x00\x00", "report.pdf")
    assert refused.value.code == "file_type"


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..\\boot.ini", "reports/plan.pdf", "C:evil.txt", "..", ""]
)
def test_file_names_with_paths_are_refused(world, name):
    case = _open(world)
    with pytest.raises(Invalid) as refused:
        _upload(world, case, b"text", name)
    assert "file" in refused.value.fields


def test_a_file_over_the_limit_is_refused_with_413(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "CASE_ATTACHMENT_MAX_BYTES", 16)
    case = _open(world)
    with pytest.raises(TooLarge) as refused:
        _upload(world, case, b"x" * 17, "big.txt")
    assert refused.value.status == 413
    assert _upload(world, case, b"x" * 16, "exact.txt").size == 16


def test_links_are_kept_by_kind_and_id_once(world):
    case = _open(world)
    link = service.add_link(world["people"]["lead"], case.id, kind="request", target_id=7)
    assert (link.kind, link.target_id) == ("request", 7)
    with pytest.raises(Conflict):
        service.add_link(world["people"]["member"], case.id, kind="request", target_id=7)
    with pytest.raises(Invalid):
        service.add_link(world["people"]["lead"], case.id, kind="dataset", target_id=7)


def test_observers_read_but_do_not_change(world):
    case = _open(world)
    observer = world["people"]["observer"]
    assert service.case_page(observer, case.id).may_read
    with pytest.raises(Forbidden):
        service.update_case(observer, case.id, version=1, status="closed")
    with pytest.raises(Forbidden):
        service.add_comment(observer, case.id, "I only watch.")


def test_oversight_sees_metadata_but_not_content(world):
    case = _open(world, description="Water level 4.2 m at Shing Mun River.")
    auditor = world["people"]["auditor"]
    page = service.case_page(auditor, case.id)
    assert not page.may_read and page.timeline == [] and page.comments == []
    assert service.get_case(auditor, case.id).content_visible is False
    with pytest.raises(Forbidden):
        service.case_events(auditor, case.id)


def test_outsiders_get_not_found(world):
    case = _open(world)
    with pytest.raises(NotFound):
        service.case_page(world["people"]["outsider"], case.id)
    with pytest.raises(NotFound):
        service.list_cases(world["people"]["outsider"], world["workspace"].id)


def test_overdue_reminders_are_sent_once_per_due_date(world):
    people = world["people"]
    case = _open(world, assignee_ids=[people["member"].id], due_on=date.today())
    later = date.today() + timedelta(days=2)
    assert service.remind_overdue(today=later) == 1
    assert service.remind_overdue(today=later) == 0
    overdue = [n for n in _notified(people["member"]) if n.subject == "FLOOD-1 is overdue"]
    assert len(overdue) == 1
    service.update_case(people["lead"], case.id, version=1, due_on=date.today() + timedelta(days=1))
    assert service.remind_overdue(today=date.today() + timedelta(days=5)) == 1


def test_list_filters_and_search(world):
    people = world["people"]
    _open(world, title="Sha Tin flooding", priority="urgent", assignee_ids=[people["member"].id])
    _open(world, title="Tai Po landslip")
    page = service.list_cases(
        people["lead"], world["workspace"].id, service.CaseFilters(priority="urgent")
    )
    assert [c.title for c in page.items] == ["Sha Tin flooding"]
    page = service.list_cases(people["lead"], None, service.CaseFilters(q="landslip"))
    assert [c.key for c in page.items] == ["FLOOD-2"]
    mine = service.my_cases(people["member"])
    assert [c.key for c in mine.items] == ["FLOOD-1"]
    with pytest.raises(Invalid):
        service.list_cases(people["lead"], None, service.CaseFilters(status="lost"))


def test_board_groups_cases_by_status(world):
    people = world["people"]
    first, _second = _open(world), _open(world, title="Second")
    service.update_case(people["lead"], first.id, version=1, status="resolved")
    board = service.board(people["lead"], world["workspace"].id)
    assert [c.key for c in board.columns["resolved"]] == ["FLOOD-1"]
    assert [c.key for c in board.columns["open"]] == ["FLOOD-2"]
    assert board.totals["open"] == 1 and board.can_write
