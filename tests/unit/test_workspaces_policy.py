"""The policy matrix of workspaces: people x actions x the workspace's state.

Each person stands in a different relation to one workspace (lead, member, observer,
expired member, head or deputy of an invited department, head of a joined department,
people of other departments, admin, auditor, deactivated, anonymous). For each of them
and each state of the workspace (active, archived, past its end date) the set of
allowed actions must be exactly the expected one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from app.accounts.models import Delegation
from app.common import utcnow
from app.extensions import db as _db
from app.policy import can, known_actions
from app.workspaces.models import Workspace, WorkspaceStatus
from app.workspaces.policy import involved_clause, is_involved
from tests.conftest import rolled_back_connection, savepoint_for_one_test, session_joined_to
from tests.factories import (
    make_department,
    make_membership,
    make_participation,
    make_user,
    make_workspace,
)
from tests.workspace_world import name_deputy

LEAD_ACTIONS = {
    "update",
    "archive",
    "invite",
    "withdraw_invitation",
    "manage_members",
}
ON_WORKSPACE = ["view", "oversee", *sorted(LEAD_ACTIONS)]
EVERY_ACTION = {*ON_WORKSPACE, "respond", "respond_answered", "create", "list", "list_all"}
OFFICER = {"create", "list"}

ACTIVE = {
    "lead": {"view", *LEAD_ACTIONS, *OFFICER},
    "member": {"view", *OFFICER},
    "observer": {"view", *OFFICER},
    "expired_member": OFFICER,
    "expired_lead": OFFICER,
    "head_invited": {"view", "respond", *OFFICER},
    "deputy_invited": {"view", "respond", *OFFICER},
    "former_deputy_invited": OFFICER,
    "officer_invited": OFFICER,
    "head_joined": {"view", *OFFICER},
    "officer_joined": OFFICER,
    "head_other": OFFICER,
    "officer_other": OFFICER,
    "dpo_other": {"list"},
    "admin": {"view", "oversee", "list", "list_all"},
    "auditor": {"view", "oversee", "list", "list_all"},
    "deactivated_lead": set(),
    "anonymous": set(),
}
READ_ONLY = {person: allowed - LEAD_ACTIONS - {"respond"} for person, allowed in ACTIVE.items()}
EXPECTED = {"active": ACTIVE, "archived": READ_ONLY, "ended": READ_ONLY}


def build(state: str) -> dict:
    """One workspace in ``state``; returns the people around it and its two participations."""
    owner = make_department(name="Drainage Services Department")
    joined = make_department(name="Transport Department")
    invited = make_department(name="Shenzhen Municipal Data Bureau")
    other = make_department(name="Water Supplies Department")
    lead = make_user("officer", department=owner)
    workspace = make_workspace(lead)
    past = utcnow() - timedelta(minutes=1)
    people = {"lead": lead}
    people["member"] = make_membership(workspace, role="member").user
    people["observer"] = make_membership(workspace, role="observer").user
    people["expired_member"] = make_membership(workspace, role="member", expires_at=past).user
    people["expired_lead"] = make_membership(workspace, role="lead", expires_at=past).user
    accepted = make_participation(workspace, joined, status="accepted")
    pending = make_participation(workspace, invited, status="invited")
    people["head_invited"] = make_user("head", "officer", department=invited)
    people["deputy_invited"] = make_user("officer", department=invited)
    name_deputy(people["head_invited"], people["deputy_invited"])
    people["former_deputy_invited"] = make_user("officer", department=invited)
    name_deputy(people["head_invited"], people["former_deputy_invited"]).ends_on = (
        utcnow().date() - timedelta(days=1)
    )
    people["officer_invited"] = make_user("officer", department=invited)
    people["head_joined"] = make_user("head", "officer", department=joined)
    people["officer_joined"] = make_user("officer", department=joined)
    people["head_other"] = make_user("head", "officer", department=other)
    people["officer_other"] = make_user("officer", department=other)
    people["dpo_other"] = make_user("dpo", department=other)
    people["admin"] = make_user("admin", department=other)
    people["auditor"] = make_user("auditor", department=other)
    deactivated = make_user("officer", department=owner, active=False)
    make_membership(workspace, deactivated, role="lead")
    people["deactivated_lead"] = deactivated
    people["anonymous"] = AnonymousUserMixin()
    if state == "archived":
        workspace.status = WorkspaceStatus.ARCHIVED.value
    elif state == "ended":
        workspace.ends_on = utcnow().date() - timedelta(days=1)
    return {"workspace": workspace, "people": people, "pending": pending, "accepted": accepted}


def allowed_actions(user, world) -> set[str]:
    workspace = world["workspace"]
    allowed = {action for action in ON_WORKSPACE if can(user, f"workspace.{action}", workspace)}
    if can(user, "workspace.respond", world["pending"]):
        allowed.add("respond")
    if can(user, "workspace.respond", world["accepted"]):
        allowed.add("respond_answered")
    allowed |= {a for a in ("create", "list", "list_all") if can(user, f"workspace.{a}", None)}
    return allowed


@pytest.fixture(scope="class")
def state_world(request, app) -> Iterator[tuple]:
    """``build(request.param)`` once for the 18 people of that state, committed.

    Each test runs on top of it in a SAVEPOINT rolled back at its end (see
    tests/conftest.py), as if the world had been built for it alone.
    """
    with app.app_context(), rolled_back_connection() as connection:
        with session_joined_to(connection):
            world = build(request.param)
            _db.session.commit()
            keys = {
                name: (type(row), row.id)
                for name, row in {**world["people"], **world}.items()
                if name not in ("people", "anonymous")
            }
        yield connection, request.param, keys


@pytest.fixture
def world_in_state(app, state_world) -> Iterator[tuple]:
    """``(state, keys)`` of :func:`state_world`, for a test running on top of it."""
    connection, state, keys = state_world
    with savepoint_for_one_test(app, connection):
        yield state, keys


class TestWorkspacePolicy:
    """The matrix of people x the workspace's state, grouped by state to share its world."""

    @pytest.mark.parametrize("state_world", ["active", "archived", "ended"], indirect=True)
    @pytest.mark.parametrize("person", sorted(ACTIVE))
    def test_workspace_policy_matrix(self, world_in_state, person):
        state, keys = world_in_state
        world = {
            name: _db.session.get(*keys[name]) for name in ("workspace", "pending", "accepted")
        }
        user = AnonymousUserMixin() if person == "anonymous" else _db.session.get(*keys[person])
        assert allowed_actions(user, world) == EXPECTED[state][person]


def test_matrix_covers_every_workspace_action():
    workspace_actions = {
        name.removeprefix("workspace.") for name in known_actions() if name.startswith("workspace.")
    }
    assert workspace_actions == EVERY_ACTION - {"respond_answered"}


def test_nobody_may_view_a_missing_workspace(db):
    assert not can(make_user("admin"), "workspace.view", None)
    assert not can(make_user("officer"), "workspace.update", None)
    assert not can(make_user("head", "officer"), "workspace.respond", None)


@pytest.mark.parametrize("state", ["active", "archived", "ended"])
def test_list_clause_and_rule_agree_for_everyone(db, state):
    """The workspace list's SQL and the rule it mirrors pick the same people."""
    world = build(state)
    workspace = world["workspace"]
    for name, person in world["people"].items():
        if name == "anonymous":
            continue
        listed = _db.session.scalar(
            select(Workspace.id).where(Workspace.id == workspace.id, involved_clause(person))
        )
        assert (listed is not None) == is_involved(person, workspace), name


def test_who_answers_an_invitation_is_asked_once_while_it_stays_loaded(db, count_queries):
    from app.workspaces.policy import answering_for
    from tests.workspace_world import flood_world

    w = flood_world()
    participation = w.workspace.participation_for(w.szdb.id)
    with count_queries() as first:
        assert answering_for(w.sz_deputy, participation) is w.sz_head
    with count_queries() as again:
        assert answering_for(w.sz_deputy, participation) is w.sz_head
    assert (first.count, again.count) == (1, 0)
    assert can(w.sz_deputy, "workspace.respond", participation)

    for delegation in _db.session.scalars(
        select(Delegation).where(Delegation.deputy_id == w.sz_deputy.id)
    ):
        delegation.revoked_at = utcnow()
    _db.session.commit()  # expires the invitation, and the answers kept on it
    assert answering_for(w.sz_deputy, participation) is None
    assert not can(w.sz_deputy, "workspace.respond", participation)
