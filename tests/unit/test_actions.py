"""The action boundary: one transaction per change, one audit entry per action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import actions
from app.accounts import service as accounts
from app.accounts.models import ApiToken, User
from app.actions import NestedActionFailed, action
from app.audit.models import AuditEntry
from app.common import utcnow
from app.demo import seed
from app.errors import Conflict, Invalid, Unauthorized
from app.notifications import service as notifications
from app.realtime import last_seq
from app.realtime.models import Event
from app.workspaces import service as workspaces
from app.workspaces.models import Membership, Workspace
from tests.factories import (
    PASSWORD,
    make_department,
    make_membership,
    make_region,
    make_user,
    make_workspace,
)


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def emitted(monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr("app.realtime.streams.emit_stored", sent.append)
    return sent


def test_failure_in_the_second_half_of_a_composite_leaves_nothing_of_the_first(db, emitted):
    lead = make_user("officer")
    before = (audit_actions(db), count(db, Workspace), count(db, Event))
    with pytest.raises(Invalid):
        with action(lead, "workspace.opened_with_member"):
            workspace = workspaces.create_workspace(
                lead, name="Joint drill", purpose="Practise", ends_on=utcnow().date() + timedelta(9)
            )
            workspaces.add_member(lead, workspace.id, user_id=10**9)
    assert (audit_actions(db), count(db, Workspace), count(db, Event)) == before
    assert emitted == []


def test_a_failed_token_issue_keeps_neither_the_sign_in_nor_the_token(db, monkeypatch):
    user = make_user("officer")

    def no_randomness(_n):
        raise OSError("entropy source unavailable")

    monkeypatch.setattr("app.accounts.tokens.secrets.token_urlsafe", no_randomness)
    with pytest.raises(OSError):
        accounts.issue_token_for_credentials(user.username, PASSWORD, "10.0.0.9", "cli")
    db.session.expire_all()
    assert user.last_login_at is None
    assert audit_actions(db) == []
    assert count(db, ApiToken) == 0


def test_a_composite_commits_once_with_every_entry(db, emitted):
    user = make_user("officer")
    _token, secret = accounts.issue_token_for_credentials(
        user.username, PASSWORD, "10.0.0.9", "cli"
    )
    assert audit_actions(db) == ["auth.login", "token.created"]
    assert accounts.user_for_token(secret).id == user.id


def test_swallowing_a_nested_failure_rolls_the_outer_action_back(db, emitted):
    admin = make_user("admin")
    region = make_region()
    with pytest.raises(NestedActionFailed):
        with action(admin, "region.renamed_twice"):
            accounts.update_region(admin, region.id, name="Kowloon")
            try:
                accounts.update_region(admin, region.id, code="")
            except Invalid:
                pass
    db.session.expire_all()
    assert region.name != "Kowloon"
    assert audit_actions(db) == []


def test_an_action_that_changes_nothing_writes_nothing(db, emitted):
    admin = make_user("admin")
    region = make_region()
    accounts.update_region(admin, region.id, name=region.name)
    assert audit_actions(db) == []
    assert emitted == []


def test_events_and_access_checks_go_out_only_after_commit(db, emitted, monkeypatch):
    rechecked = []
    monkeypatch.setattr(actions, "recheck_users", rechecked.append)
    lead = make_user("officer")
    workspace = workspaces.create_workspace(
        lead, name="Flooding", purpose="Drains", ends_on=utcnow().date() + timedelta(30)
    )
    member = make_user("officer", department=lead.department)
    workspaces.add_member(lead, workspace.id, user_id=member.id)
    with pytest.raises(Conflict):
        workspaces.remove_member(lead, workspace.id, lead.id)
    assert rechecked == []
    workspaces.remove_member(lead, workspace.id, member.id)
    assert rechecked == [[member.id]]
    assert [m["type"] for m in emitted if m["stream"].startswith("workspace:")] == [
        "workspace.created",
        "workspace.member_added",
        "workspace.member_removed",
    ]
    assert last_seq(f"workspace:{workspace.id}") == 3


def test_every_state_change_writes_exactly_one_audit_entry_per_action(db, monkeypatch):
    """Run most of the services; the audit log must list exactly the actions that ran."""
    finished: list[str] = []
    real_finish = actions.Action._finish

    def tracking_finish(self):
        real_finish(self)
        if self.changed:
            finished.append(self.name)

    monkeypatch.setattr(actions.Action, "_finish", tracking_finish)
    people = {user.username: user for user in seed()}
    _every_account_operation(people)
    _every_workspace_operation(people)
    notifications.mark_all_read(people["dsd.head"])
    assert audit_actions(db) == finished
    assert len(set(finished)) >= 25


def _every_account_operation(people: dict[str, User]) -> None:
    admin = people["admin"]
    region = accounts.create_region(admin, code="ZH", name="Zhuhai", jurisdiction="CN")
    accounts.update_region(admin, region.id, name="Zhuhai City")
    department = accounts.create_department(
        admin, code="ZHWB", name="Zhuhai Water Bureau", region_id=region.id
    )
    accounts.update_department(admin, department.id, name="Zhuhai Water Affairs Bureau")
    user = accounts.create_user(
        admin,
        username="mo.officer",
        display_name="Ho Ka Man",
        email="mo.officer@example.gov.mo",
        department_id=department.id,
        password=PASSWORD,
    )
    accounts.update_user(admin, user.id, display_name="Ho Ka-man", roles=["officer", "head"])
    accounts.authenticate("mo.officer", PASSWORD, "10.1.1.1")
    with pytest.raises(Unauthorized):
        accounts.authenticate("mo.officer", "wrong password", "10.1.1.1")
    accounts.record_logout(user)
    token, _secret = accounts.create_token(user, name="laptop")
    accounts.revoke_token(user, token.id)
    accounts.change_password(user, PASSWORD, "another-long-passphrase-7")
    colleague = make_user("officer", department=department)
    delegation = accounts.create_delegation(
        user, deputy_id=colleague.id, starts_on=utcnow().date(), ends_on=utcnow().date()
    )
    accounts.revoke_delegation(user, delegation.id)
    accounts.set_user_active(admin, colleague.id, False)
    accounts.set_user_active(admin, colleague.id, True)


def _every_workspace_operation(people: dict[str, User]) -> None:
    lead = people["dsd.officer"]
    workspace = workspaces.create_workspace(
        lead, name="Landslip watch", purpose="Slopes", ends_on=utcnow().date() + timedelta(60)
    )
    workspaces.update_workspace(lead, workspace.id, version=workspace.version, name="Slopes")
    department = make_department(name="Geotechnical Engineering Office")
    head = make_user("head", "officer", department=department)
    workspaces.invite_department(lead, workspace.id, department.id)
    workspaces.decline_invitation(head, workspace.id, department.id, reason="No capacity")
    workspaces.invite_department(lead, workspace.id, department.id)
    workspaces.withdraw_invitation(lead, workspace.id, department.id)
    workspaces.invite_department(lead, workspace.id, department.id)
    workspaces.accept_invitation(head, workspace.id, department.id)
    workspaces.add_member(lead, workspace.id, user_id=head.id)
    workspaces.update_member(lead, workspace.id, head.id, role="observer")
    workspaces.remove_member(lead, workspace.id, head.id)
    workspaces.archive_workspace(lead, workspace.id)


# What an action keeps at its commit -------------------------------------------------------


def test_an_action_keeps_what_it_loaded_so_its_response_reads_nothing_again(
    db, emitted, count_queries
):
    lead = make_user("officer")
    workspace = make_workspace(lead)
    membership = workspace.memberships[0]
    with action(lead, "workspace.renamed_in_test") as act:
        workspace.name = "Renamed"
        act.target("workspace", workspace)
    with count_queries() as counter:
        seen = (workspace.name, membership.role, membership.user.display_name)
    assert seen == ("Renamed", "lead", lead.display_name)
    assert counter.statements == []


def test_what_an_action_left_out_of_step_is_read_again_after_its_commit(db, emitted):
    """A key set without its relationship, a row added by its parent's id, and a value
    the database computed: each would be stale if the action kept it as loaded."""
    lead = make_user("officer")
    other = make_user("officer", department=lead.department)
    workspace = make_workspace(lead)
    membership = workspace.memberships[0]
    assert membership.added_by is lead and workspace.member_count == 1
    with action(lead, "workspace.changed_in_test") as act:
        membership.added_by_id = other.id
        db.session.add(Membership(workspace_id=workspace.id, user_id=other.id, role="member"))
        act.target("workspace", workspace)
    assert membership.added_by is other
    assert sorted(m.user_id for m in workspace.memberships) == sorted([lead.id, other.id])
    assert workspace.member_count == 2


def test_a_deleted_row_leaves_its_parents_loaded_collection(db, emitted):
    lead = make_user("officer")
    workspace = make_workspace(lead)
    member = make_membership(workspace)
    assert len(workspace.memberships) == 2
    with action(lead, "workspace.member_deleted_in_test") as act:
        db.session.delete(member)
        act.target("workspace", workspace)
    assert [m.user_id for m in workspace.memberships] == [lead.id]
