"""A flood-response workspace with people in every relation to its cases, for case tests.

Drainage Services owns it; Transport takes part; the Water Supplies Department took part
and left (its participation is withdrawn, its member's membership still on record).
"""

from __future__ import annotations

from datetime import timedelta

from app.common import utcnow
from app.extensions import db
from tests.factories import (
    make_department,
    make_membership,
    make_participation,
    make_user,
    make_workspace,
)


def build_world() -> dict:
    drainage = make_department("DSD", name="Drainage Services Department")
    transport = make_department("TD", name="Transport Department")
    water = make_department("WSD", name="Water Supplies Department")
    lead = make_user("officer", department=drainage, username="olivia")
    workspace = make_workspace(lead, name="Flood response")
    make_participation(workspace, transport, status="accepted")
    make_participation(workspace, water, status="accepted")
    people = {"lead": lead}
    people["member"] = make_membership(workspace, role="member").user
    people["transport_member"] = make_membership(
        workspace, make_user("officer", department=transport, username="tom"), role="member"
    ).user
    people["observer"] = make_membership(
        workspace, make_user("officer", department=transport), role="observer"
    ).user
    past = utcnow() - timedelta(minutes=1)
    people["expired_member"] = make_membership(workspace, role="member", expires_at=past).user
    people["left_department_member"] = make_membership(
        workspace, make_user("officer", department=water), role="member"
    ).user
    people["deactivated_member"] = make_membership(workspace, role="member").user
    people["transport_officer"] = make_user("officer", department=transport)
    people["outsider"] = make_user("officer")
    people["admin"] = make_user("admin")
    people["auditor"] = make_user("auditor")
    return {
        "workspace": workspace,
        "drainage": drainage,
        "transport": transport,
        "water": water,
        "people": people,
    }


def department_leaves(world: dict) -> None:
    """Water Supplies leaves the workspace (after cases were opened)."""
    participation = world["workspace"].participation_for(world["water"].id)
    participation.status = "withdrawn"
    db.session.commit()


def deactivate(user) -> None:
    user.active = False
    db.session.commit()
