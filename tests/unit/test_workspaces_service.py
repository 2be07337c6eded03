"""Workspace services: every rule of creating, inviting, answering, members, archiving.

Each refusal is checked to leave the database, the audit log, the notifications and the
workspace's event stream exactly as they were.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.common import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db as _db
from app.jsontext import JsonText
from app.notifications.models import Notification
from app.realtime import events_after, last_seq
from app.workspaces import service
from app.workspaces.members import NOT_A_CANDIDATE
from app.workspaces.models import Membership, Workspace
from tests.factories import make_membership, make_user, make_workspace
from tests.workspace_world import flood_world, in_days, snapshot, stream_types


@pytest.fixture
def w(db):
    return flood_world()


def notified(user) -> list[Notification]:
    return list(
        _db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def last_event(workspace_id: int) -> dict:
    return events_after(f"workspace:{workspace_id}", 0)[-1].as_message()


def last_audit() -> AuditEntry:
    return _db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


# Creating ---------------------------------------------------------------------------------


def test_officer_creates_workspace_owned_by_own_department_and_becomes_lead(db):
    officer = make_user("officer")
    workspace = service.create_workspace(
        officer, name="  Typhoon drills ", purpose="Joint drills.", ends_on=in_days(30)
    )
    assert workspace.name == "Typhoon drills"
    assert workspace.owner_department_id == officer.department_id
    assert [(p.department_id, p.status) for p in workspace.participations] == [
        (officer.department_id, "accepted")
    ]
    assert [(m.user_id, m.role) for m in workspace.memberships] == [(officer.id, "lead")]
    entry = last_audit()
    assert (entry.action, entry.workspace_id) == ("workspace.created", workspace.id)
    event = last_event(workspace.id)
    assert event["type"] == "workspace.created" and event["seq"] == 1
    assert event["data"]["actor"] == officer.display_name
    assert "created the workspace Typhoon drills" in event["data"]["text"]


def test_create_gathers_every_field_error_and_stores_nothing(db):
    officer = make_user("officer")
    with pytest.raises(Invalid) as refused:
        service.create_workspace(officer, name=" ", purpose="", ends_on=in_days(-1))
    assert set(refused.value.fields) == {"name", "purpose", "ends_on"}
    assert db.session.scalar(select(Workspace)) is None
    assert last_audit() is None


@pytest.mark.parametrize(
    ("days", "message"),
    [(0, "in the future"), (-30, "in the future"), (6 * 366, "at most 5 years")],
)
def test_end_date_must_be_in_the_future_and_within_five_years(db, days, message):
    with pytest.raises(Invalid) as refused:
        service.create_workspace(
            make_user("officer"), name="Drills", purpose="Drills.", ends_on=in_days(days)
        )
    assert message in refused.value.fields["ends_on"][0]


def test_auditor_cannot_create_a_workspace(db):
    with pytest.raises(Forbidden):
        service.create_workspace(
            make_user("auditor"), name="Audit", purpose="Audit.", ends_on=in_days(10)
        )


# Inviting ---------------------------------------------------------------------------------


def test_invited_department_of_another_jurisdiction_has_its_head_and_deputy_notified(w):
    invited = {
        p.department_id: p.status for p in service.get_workspace(w.lead, w.id).participations
    }
    assert invited[w.szdb.id] == "invited"
    assert [n.kind for n in notified(w.sz_head)] == ["workspace.invitation"]
    assert [n.kind for n in notified(w.sz_deputy)] == ["workspace.invitation"]
    assert notified(w.sz_officer) == []
    assert notified(w.sz_head)[0].link == f"/workspaces/{w.id}"
    pushed = events_after(f"user:{w.sz_head.id}", 0)[-1]
    assert pushed.type == "notification.created" and pushed.payload["unread"] == 1
    assert "workspace.department_invited" in stream_types(w.id)


def test_inviting_a_department_twice_is_refused_and_changes_nothing(w):
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        service.invite_department(w.lead, w.id, w.ha.id)
    assert refused.value.code == "already_invited"
    assert "Hospital Authority has already been invited" in refused.value.message
    assert snapshot(w.id) == before


def test_inviting_a_participating_department_is_refused(w):
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        service.invite_department(w.lead, w.id, w.td.id)
    assert refused.value.code == "already_participating"
    assert snapshot(w.id) == before


def test_inviting_an_unknown_department_is_invalid(w):
    with pytest.raises(Invalid) as refused:
        service.invite_department(w.lead, w.id, 987654)
    assert "department_id" in refused.value.fields


def test_a_department_that_declined_can_be_invited_again(w):
    service.decline_invitation(w.ha_head, w.id, w.ha.id, reason="No capacity this season.")
    participation = service.invite_department(w.lead, w.id, w.ha.id)
    assert participation.status == "invited"
    assert participation.decline_reason is None and participation.responded_by_id is None
    assert last_audit().detail["again"] is True


def test_members_who_are_not_leads_cannot_invite(w):
    observer = make_membership(w.workspace, role="observer").user
    member = make_membership(w.workspace, role="member").user
    with pytest.raises(Forbidden) as refused:
        service.invite_department(observer, w.id, w.other.id)
    assert "Observers can read" in refused.value.message
    with pytest.raises(Forbidden, match="Only the workspace's leads"):
        service.invite_department(member, w.id, w.other.id)


# Answering --------------------------------------------------------------------------------


def test_head_accepts_and_the_leads_are_told(w):
    participation = service.accept_invitation(w.sz_head, w.id, w.szdb.id)
    assert participation.status == "accepted"
    assert participation.responded_by_id == w.sz_head.id
    assert participation.responded_on_behalf_of_id is None
    assert notified(w.lead)[-1].kind == "workspace.department_accepted"
    event = last_event(w.id)
    assert event["type"] == "workspace.department_accepted"
    assert event["data"]["text"].startswith(f"{w.sz_head.display_name} (")
    assert "accepted the invitation of Shenzhen Municipal Data Bureau" in event["data"]["text"]


def test_deputy_accepts_on_behalf_of_the_head(w):
    participation = service.accept_invitation(w.sz_deputy, w.id, w.szdb.id)
    assert participation.responded_by_id == w.sz_deputy.id
    assert participation.responded_on_behalf_of_id == w.sz_head.id
    entry = last_audit()
    assert entry.action == "workspace.department_accepted"
    assert entry.detail["on_behalf_of"] == w.sz_head.id
    assert entry.detail["on_behalf_of_name"] == w.sz_head.display_name
    assert f"on behalf of {w.sz_head.display_name}" in last_event(w.id)["data"]["text"]


def test_deputy_whose_delegation_ended_cannot_answer(w):
    from app.accounts.models import Delegation

    delegation = _db.session.scalar(
        select(Delegation).where(Delegation.deputy_id == w.sz_deputy.id)
    )
    delegation.ends_on = utcnow().date() - timedelta(days=1)
    _db.session.commit()
    before = snapshot(w.id)
    with pytest.raises(NotFound):
        service.accept_invitation(w.sz_deputy, w.id, w.szdb.id)
    assert snapshot(w.id) == before


def test_officer_of_the_invited_department_cannot_answer(w):
    before = snapshot(w.id)
    with pytest.raises(NotFound):
        service.accept_invitation(w.sz_officer, w.id, w.szdb.id)
    assert snapshot(w.id) == before


def test_a_member_who_is_not_the_invited_head_is_refused(w):
    with pytest.raises(Forbidden, match="Only the head of Shenzhen Municipal Data Bureau"):
        service.accept_invitation(w.lead, w.id, w.szdb.id)


def test_head_of_another_department_cannot_answer_for_the_invited_one(w):
    with pytest.raises(NotFound):
        service.accept_invitation(w.other_head, w.id, w.szdb.id)


def test_accepting_a_withdrawn_invitation_is_refused_and_changes_nothing(w):
    service.withdraw_invitation(w.lead, w.id, w.ha.id)
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        service.accept_invitation(w.ha_head, w.id, w.ha.id)
    assert refused.value.code == "invitation_withdrawn"
    assert "was withdrawn by" in refused.value.message
    assert snapshot(w.id) == before


def test_answering_an_answered_invitation_is_refused(w):
    service.accept_invitation(w.sz_head, w.id, w.szdb.id)
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        service.decline_invitation(w.sz_deputy, w.id, w.szdb.id, reason="Changed our mind.")
    assert refused.value.code == "already_answered"
    assert snapshot(w.id) == before


def test_declining_needs_a_reason(w):
    before = snapshot(w.id)
    with pytest.raises(Invalid) as refused:
        service.decline_invitation(w.ha_head, w.id, w.ha.id, reason="   ")
    assert "reason" in refused.value.fields
    assert snapshot(w.id) == before


def test_declining_records_the_reason_and_tells_the_leads(w):
    participation = service.decline_invitation(
        w.ha_head, w.id, w.ha.id, reason="Our wards are on typhoon standby."
    )
    assert participation.status == "declined"
    assert participation.decline_reason == "Our wards are on typhoon standby."
    assert last_audit().detail["reason"] == "Our wards are on typhoon standby."
    assert "typhoon standby" in notified(w.lead)[-1].text
    assert last_event(w.id)["type"] == "workspace.department_declined"


def test_a_declined_department_no_longer_sees_the_workspace(w):
    service.decline_invitation(w.ha_head, w.id, w.ha.id, reason="Not for us.")
    with pytest.raises(NotFound):
        service.get_workspace(w.ha_head, w.id)


# Withdrawing ------------------------------------------------------------------------------


def test_lead_withdraws_a_pending_invitation_and_the_head_is_told(w):
    participation = service.withdraw_invitation(w.lead, w.id, w.ha.id)
    assert participation.status == "withdrawn"
    assert participation.withdrawn_by_id == w.lead.id
    assert notified(w.ha_head)[-1].kind == "workspace.invitation_withdrawn"
    assert last_event(w.id)["type"] == "workspace.invitation_withdrawn"
    with pytest.raises(NotFound):
        service.get_workspace(w.ha_head, w.id)


def test_withdrawing_an_accepted_invitation_is_refused(w):
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        service.withdraw_invitation(w.lead, w.id, w.td.id)
    assert refused.value.code == "not_pending"
    assert snapshot(w.id) == before


def test_withdrawing_an_invitation_that_was_never_sent_is_not_found(w):
    with pytest.raises(NotFound):
        service.withdraw_invitation(w.lead, w.id, w.other.id)


# Members ----------------------------------------------------------------------------------


def test_lead_adds_a_member_from_a_participating_department(w):
    membership = service.add_member(
        w.lead, w.id, user_id=w.td_officer.id, role="observer", expires_at=in_days(10)
    )
    assert (membership.role, membership.user_id) == ("observer", w.td_officer.id)
    assert membership.expires_at == datetime.combine(in_days(11), datetime.min.time())
    assert notified(w.td_officer)[-1].kind == "workspace.member_added"
    assert "until the end of" in notified(w.td_officer)[-1].text
    event = last_event(w.id)
    assert event["type"] == "workspace.member_added"
    assert event["data"]["user_id"] == w.td_officer.id
    assert service.get_workspace(w.td_officer, w.id).id == w.id


def test_adding_a_member_whose_department_has_not_joined_is_refused_and_changes_nothing(w):
    before = snapshot(w.id)
    with pytest.raises(Invalid) as refused:
        service.add_member(w.lead, w.id, user_id=w.sz_officer.id)
    assert refused.value.fields["user_id"] == [NOT_A_CANDIDATE]
    assert snapshot(w.id) == before


def test_add_member_cannot_probe_people_the_lead_may_not_see(w, db):
    """Finding 9 of issue 14: the answer named the department and told deactivated apart."""
    stranger = make_user("officer", department=w.ha)
    deactivated = make_user("officer", department=w.td, active=False)
    answers = []
    for user_id in (stranger.id, deactivated.id, w.sz_officer.id, 2**31 - 1, 2**40, "7"):
        with pytest.raises(Invalid) as refused:
            service.add_member(w.lead, w.id, user_id=user_id)
        answers.append(refused.value.fields["user_id"])
    assert answers == [[NOT_A_CANDIDATE]] * len(answers)


def test_add_member_names_the_department_to_a_lead_who_may_see_the_person(w, db):
    admin_lead = make_user("admin", "officer", department=w.dsd)
    service.add_member(w.lead, w.id, user_id=admin_lead.id, role="lead")
    with pytest.raises(Invalid) as refused:
        service.add_member(admin_lead, w.id, user_id=w.sz_officer.id)
    message = refused.value.fields["user_id"][0]
    assert "has not joined this workspace" in message and w.szdb.name in message


def test_add_member_gathers_every_problem(w):
    inactive = make_user("officer", department=w.td, active=False)
    with pytest.raises(Invalid) as refused:
        service.add_member(w.lead, w.id, user_id=inactive.id, role="boss", expires_at=in_days(-2))
    assert set(refused.value.fields) == {"user_id", "role", "expires_at"}


def test_adding_someone_twice_is_refused(w):
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    with pytest.raises(Invalid) as refused:
        service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    assert "already a member" in refused.value.fields["user_id"][0]


def test_lead_changes_role_and_expiry_and_the_member_is_told(w):
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    expiry = utcnow() + timedelta(days=3)
    membership = service.update_member(
        w.lead, w.id, w.td_officer.id, role="lead", expires_at=expiry
    )
    assert (membership.role, membership.expires_at) == ("lead", expiry)
    assert last_audit().detail["changes"]["role"] == {"from": "member", "to": "lead"}
    assert notified(w.td_officer)[-1].kind == "workspace.member_updated"
    cleared = service.update_member(w.lead, w.id, w.td_officer.id, expires_at=None)
    assert cleared.expires_at is None


def test_an_unchanged_membership_records_nothing(w):
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    before = snapshot(w.id)
    service.update_member(w.lead, w.id, w.td_officer.id, role="member")
    assert snapshot(w.id) == before


def test_demoting_the_last_lead_is_refused(w):
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        service.update_member(w.lead, w.id, w.lead.id, role="member")
    assert refused.value.code == "last_lead"
    assert snapshot(w.id) == before


def test_removing_the_last_lead_is_refused_even_with_an_expired_second_lead(w):
    make_membership(w.workspace, role="lead", expires_at=utcnow() - timedelta(hours=1))
    before = snapshot(w.id)
    with pytest.raises(Conflict, match="only lead"):
        service.remove_member(w.lead, w.id, w.lead.id)
    assert snapshot(w.id) == before


def test_a_lead_may_step_down_when_another_lead_remains(w):
    service.add_member(w.lead, w.id, user_id=w.dsd_officer.id, role="lead")
    service.remove_member(w.lead, w.id, w.lead.id)
    with pytest.raises(NotFound):
        service.get_workspace(w.lead, w.id)


def test_removed_member_is_told_and_rechecked_after_commit(w, monkeypatch):
    rechecked = []
    monkeypatch.setattr("app.actions.recheck_users", rechecked.append)
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    service.remove_member(w.lead, w.id, w.td_officer.id)
    assert rechecked == [[w.td_officer.id]]
    assert notified(w.td_officer)[-1].kind == "workspace.member_removed"
    assert last_event(w.id)["type"] == "workspace.member_removed"
    with pytest.raises(NotFound):
        service.get_workspace(w.td_officer, w.id)


def test_removed_member_who_heads_a_participating_department_keeps_the_workspace(w):
    service.add_member(w.lead, w.id, user_id=w.td_head.id)
    service.remove_member(w.lead, w.id, w.td_head.id)
    assert service.get_workspace(w.td_head, w.id).id == w.id


def test_member_list_puts_leads_first(w, db):
    service.add_member(w.lead, w.id, user_id=w.td_officer.id, role="observer")
    service.add_member(w.lead, w.id, user_id=w.dsd_officer.id, role="member")
    page = service.list_members(w.td_officer, w.id)
    assert [m.role for m in page.items] == ["lead", "member", "observer"]
    assert [m.user_id for m in service.list_members(w.lead, w.id, role="member").items] == [
        w.dsd_officer.id
    ]


# Editing, archiving, read-only ------------------------------------------------------------


def test_lead_edits_with_the_current_version_and_the_version_grows(w):
    workspace = service.update_workspace(
        w.lead, w.id, version=1, purpose="Share readings.", ends_on=in_days(200)
    )
    assert (workspace.purpose, workspace.version) == ("Share readings.", 2)
    event = last_event(w.id)
    assert event["type"] == "workspace.updated"
    assert event["data"]["changed"] == ["ends_on", "purpose"]


def test_an_edit_based_on_a_stale_version_is_refused(w):
    service.update_workspace(w.lead, w.id, version=1, name="Flood response 2026")
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        service.update_workspace(w.lead, w.id, version=1, name="Someone else's name")
    assert refused.value.code == "stale"
    assert snapshot(w.id) == before


def test_archiving_makes_the_workspace_read_only_and_tells_the_members(w):
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    workspace = service.archive_workspace(w.lead, w.id)
    assert workspace.state().value == "archived" and workspace.archived_by_id == w.lead.id
    assert notified(w.td_officer)[-1].kind == "workspace.archived"
    assert last_event(w.id)["type"] == "workspace.archived"


def _changes(w):
    """Every change a workspace can receive, as (name, call) pairs."""
    return {
        "edit": lambda: service.update_workspace(w.lead, w.id, version=2, name="New"),
        "archive": lambda: service.archive_workspace(w.lead, w.id),
        "invite": lambda: service.invite_department(w.lead, w.id, w.other.id),
        "withdraw": lambda: service.withdraw_invitation(w.lead, w.id, w.ha.id),
        "accept": lambda: service.accept_invitation(w.sz_head, w.id, w.szdb.id),
        "decline": lambda: service.decline_invitation(w.ha_head, w.id, w.ha.id, reason="No."),
        "add member": lambda: service.add_member(w.lead, w.id, user_id=w.td_officer.id),
        "change member": lambda: service.update_member(w.lead, w.id, w.lead.id, role="member"),
        "remove member": lambda: service.remove_member(w.lead, w.id, w.lead.id),
    }


CHANGES = [
    "edit",
    "archive",
    "invite",
    "withdraw",
    "accept",
    "decline",
    "add member",
    "change member",
    "remove member",
]


@pytest.mark.parametrize("change", CHANGES)
def test_an_archived_workspace_refuses_every_change(w, change):
    service.archive_workspace(w.lead, w.id)
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        _changes(w)[change]()
    assert refused.value.code == "read_only"
    assert "archived" in refused.value.message
    assert snapshot(w.id) == before


@pytest.mark.parametrize("change", CHANGES)
def test_a_workspace_past_its_end_date_refuses_every_change(w, change):
    w.workspace.ends_on = utcnow().date() - timedelta(days=1)
    _db.session.commit()
    before = snapshot(w.id)
    with pytest.raises(Conflict) as refused:
        _changes(w)[change]()
    assert refused.value.code == "read_only"
    assert "ended on" in refused.value.message
    assert snapshot(w.id) == before


def test_an_archived_workspace_stays_readable_by_its_members(w):
    service.archive_workspace(w.lead, w.id)
    assert service.get_workspace(w.lead, w.id).read_only_reason().startswith("This workspace was")


# Expired members --------------------------------------------------------------------------


def test_an_expired_member_cannot_view_and_is_told_why(w):
    expired = make_membership(
        w.workspace, role="member", expires_at=utcnow() - timedelta(minutes=1)
    ).user
    with pytest.raises(NotFound, match="Your membership of this workspace ended"):
        service.get_workspace(expired, w.id)
    with pytest.raises(NotFound):
        service.workspace_events(expired, w.id, 0)


def test_an_expired_lead_cannot_change_anything(w):
    service.add_member(w.lead, w.id, user_id=w.dsd_officer.id, role="lead")
    service.update_member(
        w.lead, w.id, w.dsd_officer.id, expires_at=utcnow() + timedelta(seconds=1)
    )
    membership = _db.session.scalar(
        select(Membership).where(Membership.user_id == w.dsd_officer.id)
    )
    membership.expires_at = utcnow() - timedelta(seconds=1)
    _db.session.commit()
    before = snapshot(w.id)
    with pytest.raises(NotFound, match="ended"):
        service.invite_department(w.dsd_officer, w.id, w.other.id)
    assert snapshot(w.id) == before


# Who sees what ----------------------------------------------------------------------------


def test_missing_and_invisible_workspaces_get_the_same_answer(w):
    with pytest.raises(NotFound) as missing:
        service.get_workspace(w.other_head, 987654)
    with pytest.raises(NotFound) as hidden:
        service.get_workspace(w.other_head, w.id)
    assert missing.value.message == hidden.value.message == "Workspace not found."


def test_heads_and_deputies_of_invited_departments_see_the_workspace(w):
    assert service.get_workspace(w.sz_head, w.id).id == w.id
    assert service.get_workspace(w.sz_deputy, w.id).id == w.id
    with pytest.raises(NotFound):
        service.get_workspace(w.sz_officer, w.id)


def test_admins_and_auditors_see_every_workspace_without_being_members(w):
    for overseer in (w.admin, w.auditor):
        overview = service.workspace_overview(overseer, w.id)
        assert overview.viewer_membership is None and not overview.can_manage
        assert service.list_workspaces(overseer, scope="all").total == 1
        assert service.list_workspaces(overseer).total == 0


def test_only_admins_and_auditors_list_every_workspace(w):
    with pytest.raises(Forbidden):
        service.list_workspaces(w.lead, scope="all")


def test_my_workspaces_lists_memberships_and_invitations_to_decide(w, db):
    make_workspace()
    expired_in = make_workspace(name="Old drill")
    make_membership(expired_in, w.td_officer, expires_at=utcnow() - timedelta(days=1))
    assert [x.id for x in service.list_workspaces(w.lead).items] == [w.id]
    assert [x.id for x in service.list_workspaces(w.sz_deputy).items] == [w.id]
    assert service.list_workspaces(w.sz_officer).total == 0
    assert service.list_workspaces(w.td_officer).total == 0


def test_list_filters_by_search_region_department_and_status(w, db):
    service.accept_invitation(w.sz_head, w.id, w.szdb.id)
    other = service.create_workspace(
        w.lead, name="Slope safety", purpose="Landslip warnings.", ends_on=in_days(30)
    )
    service.archive_workspace(w.lead, other.id)
    ended = make_workspace(w.lead, name="Old drill", ends_on=in_days(-3))

    def ids(**filters):
        return {x.id for x in service.list_workspaces(w.lead, **filters).items}

    assert ids() == {w.id, other.id, ended.id}
    assert ids(q="landslip") == {other.id}
    assert ids(q="ROAD CLOSURES") == {w.id}
    assert ids(region_id=w.szdb.region_id) == {w.id}
    assert ids(department_id=w.td.id) == {w.id}
    assert ids(department_id=w.ha.id) == set()
    assert ids(status="active") == {w.id}
    assert ids(status="archived") == {other.id}
    assert ids(status="ended") == {ended.id}
    with pytest.raises(Invalid):
        service.list_workspaces(w.lead, status="sleeping")


def test_workspace_list_pages_run_a_constant_number_of_statements(db, count_queries):
    lead = make_user("officer")

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            page = service.list_workspaces(lead, per_page=50)
            for workspace in page.items:
                [p.department.region.name for p in workspace.participations]
                assert workspace.member_count >= 1
        return counter.count

    make_workspace(lead)
    few = statements()
    for _ in range(6):
        make_workspace(lead)
    assert statements() == few


# Events and rollback ----------------------------------------------------------------------


def _items(batch: dict) -> list[dict]:
    """A catch-up's messages (on PostgreSQL the database writes them as JSON text)."""
    items = batch["items"]
    return items.value() if isinstance(items, JsonText) else items


def test_events_endpoint_service_returns_what_came_after(w):
    everything = service.workspace_events(w.lead, w.id, 0)
    messages = _items(everything)
    assert [m["seq"] for m in messages] == list(range(1, everything["last_seq"] + 1))
    later = _items(service.workspace_events(w.lead, w.id, 3))
    assert [m["seq"] for m in later] == list(range(4, everything["last_seq"] + 1))
    assert all(m["data"]["text"] and "actor" in m["data"] for m in messages)


def test_a_committed_change_is_emitted_after_commit(w, monkeypatch):
    emitted = []
    monkeypatch.setattr("app.realtime.streams.emit_stored", emitted.append)
    service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    assert [(m["stream"], m["type"]) for m in emitted] == [
        (f"workspace:{w.id}", "workspace.member_added"),
        (f"user:{w.td_officer.id}", "notification.created"),
    ]


def test_a_rolled_back_change_stores_no_event_and_emits_nothing(w, monkeypatch):
    emitted = []
    monkeypatch.setattr("app.realtime.streams.emit_stored", emitted.append)
    before = last_seq(f"workspace:{w.id}")

    def broken_notify(*args, **kwargs):
        raise RuntimeError("mail relay down")

    monkeypatch.setattr("app.actions._notifier", broken_notify)
    with pytest.raises(RuntimeError):
        service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    _db.session.rollback()
    assert last_seq(f"workspace:{w.id}") == before
    assert emitted == []
    monkeypatch.undo()
    monkeypatch.setattr("app.realtime.streams.emit_stored", emitted.append)
    service.withdraw_invitation(w.lead, w.id, w.ha.id)
    assert [m["type"] for m in emitted if m["stream"].startswith("workspace:")] == [
        "workspace.invitation_withdrawn"
    ]
