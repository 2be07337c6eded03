"""The sharing rules beside their SQL twins: the lists and the pages must agree.

For every person around a request and every state it can be in, the "visible" list holds
the request exactly when the request page opens for them, and the "waiting for my
decision" queue holds it exactly when they may decide on it now. The grant's rule is
checked for the people around an approved request.
"""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from app.extensions import db
from app.grants.models import Grant
from app.policy import can
from app.sharing.models import DataRequest
from app.sharing.policy import decision_capacity, visible_clause, waiting_clause
from tests.request_world import request_world
from tests.unit.test_sharing_workflow import PEOPLE, STATES, bring_to

EVERYONE = [*PEOPLE, "observer", "steward", "sz_officer", "admin"]


def _in(clause, request_id: int) -> bool:
    found = db.session.scalar(select(DataRequest.id).where(DataRequest.id == request_id, clause))
    return found is not None


@pytest.mark.parametrize("state", STATES)
def test_lists_and_rules_agree_for_everyone(db, state):
    w = request_world()
    request = bring_to(w, state)
    for name in EVERYONE:
        person = getattr(w, name)
        assert _in(visible_clause(person), request.id) == can(
            person, "data_request.view", request
        ), name
        assert _in(waiting_clause(person), request.id) == (
            decision_capacity(person, request) is not None
        ), name


def test_nobody_sees_or_decides_a_missing_request(db):
    w = request_world()
    for action in ("view", "endorse", "approve", "reject", "comment", "link_dataset"):
        assert not can(w.td_head, f"data_request.{action}", None)
    assert not can(AnonymousUserMixin(), "data_request.list")


@pytest.mark.parametrize(
    ("person", "sees"),
    [
        ("requester", True),
        ("member", True),
        ("observer", True),
        ("dsd_head", True),
        ("dsd_deputy", True),
        ("steward", True),
        ("auditor", True),
        ("td_head", True),  # a member of the workspace, like any grantee
        ("outsider", False),
        ("dpo", False),
        ("admin", False),
    ],
)
def test_who_sees_the_grant(db, person, sees):
    w = request_world()
    request = bring_to(w, "approved")
    grant = db.session.scalar(select(Grant).where(Grant.request_id == request.id))
    assert can(getattr(w, person), "grant.view", grant) is sees
