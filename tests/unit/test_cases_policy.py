"""The policy matrix of cases: people x actions x the workspace's state.

Each person stands in a different relation to one flood-response workspace and its case.
For each of them, and for the workspace active or archived, the set of allowed case
actions must be exactly the expected one. The list clause must agree with the rule.
"""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from app.cases import service
from app.cases.access import case_list_access, workspace_for_cases
from app.cases.browse import CaseFilters, list_cases
from app.cases.policy import (
    participant_parameters,
    participant_workspaces,
    participant_workspaces_by_parameters,
    participation_role,
)
from app.errors import NotFound
from app.extensions import db as _db
from app.policy import can, known_actions
from tests.case_world import build_world, deactivate, department_leaves

CASE_ACTIONS = sorted(a for a in known_actions() if a.startswith("case."))
WRITE = {"case.create", "case.update", "case.comment", "case.attach", "case.link"}
READ = {"case.list", "case.view", "case.read"}
OVERSIGHT = {"case.list", "case.view"}

ACTIVE = {
    "lead": READ | WRITE,
    "member": READ | WRITE,
    "transport_member": READ | WRITE,
    "observer": READ,
    "expired_member": set(),
    "left_department_member": set(),
    "deactivated_member": set(),
    "transport_officer": set(),
    "outsider": set(),
    "admin": OVERSIGHT,
    "auditor": OVERSIGHT,
    "anonymous": set(),
}
ARCHIVED = {person: allowed - WRITE for person, allowed in ACTIVE.items()}


def test_every_case_rule_is_in_the_matrix():
    assert set(CASE_ACTIONS) == READ | WRITE


def _world(state: str):
    world = build_world()
    people = world["people"]
    case = service.create_case(people["lead"], world["workspace"].id, title="Sha Tin flooding")
    department_leaves(world)
    deactivate(people["deactivated_member"])
    if state == "archived":
        world["workspace"].status = "archived"
        _db.session.commit()
    _db.session.expire_all()
    people["anonymous"] = AnonymousUserMixin()
    return world, service.get_case(people["lead"], case.id)


@pytest.mark.parametrize("state, expected", [("active", ACTIVE), ("archived", ARCHIVED)])
def test_policy_matrix(db, state, expected):
    world, case = _world(state)
    allowed = {
        person: {
            action
            for action in CASE_ACTIONS
            if can(
                world["people"][person],
                action,
                world["workspace"] if action in ("case.create", "case.list") else case,
            )
        }
        for person in expected
    }
    assert allowed == expected


def test_the_list_clause_agrees_with_the_rule(db):
    world, _case = _world("active")
    for name, person in world["people"].items():
        if name == "anonymous":
            continue
        in_sql = world["workspace"].id in set(_db.session.scalars(participant_workspaces(person)))
        assert in_sql == (participation_role(person, world["workspace"]) is not None), name
        by_parameters = set(
            _db.session.scalars(
                participant_workspaces_by_parameters(), participant_parameters(person)
            )
        )
        assert (world["workspace"].id in by_parameters) == in_sql, name


@pytest.mark.parametrize("state", ["active", "department_left"])
def test_the_case_list_answers_as_the_rule_decides(db, state):
    """A workspace's case list: rows for participants (content readable) and oversight
    (metadata only), not found for everyone else, whether the list has rows or not."""
    world, _case = _world(state)
    workspace = world["workspace"]
    empty = CaseFilters(status="closed")
    for name, person in world["people"].items():
        if name == "anonymous":
            continue
        if not can(person, "case.list", workspace):
            for filters in (None, empty):
                with pytest.raises(NotFound):
                    list_cases(person, workspace.id, filters)
            continue
        found = list_cases(person, workspace.id)
        takes_part = participation_role(person, workspace) is not None
        assert found.total == 1 and len(found.items) == 1, name
        assert found.items[0].content_visible is takes_part, name
        assert list_cases(person, workspace.id, empty).items == [], name
    for missing in (workspace.id + 1000, "1", True):
        with pytest.raises(NotFound):
            list_cases(world["people"]["admin"], missing)


@pytest.mark.parametrize("state", ["active", "department_left"])
def test_the_case_list_access_agrees_with_workspace_for_cases(db, state):
    world, _case = _world(state)
    workspace = world["workspace"]
    with pytest.raises(NotFound):
        case_list_access(world["people"].pop("anonymous"), workspace.id)
    for name, person in world["people"].items():
        try:
            loaded = workspace_for_cases(person, workspace.id)
        except NotFound:
            with pytest.raises(NotFound):
                case_list_access(person, workspace.id)
            continue
        takes_part = participation_role(person, loaded) is not None
        assert case_list_access(person, workspace.id) is takes_part, name
    for missing in (workspace.id + 1000, "1", True, None):
        with pytest.raises(NotFound):
            case_list_access(world["people"]["admin"], missing)
