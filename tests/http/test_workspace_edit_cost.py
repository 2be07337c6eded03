"""Editing a workspace costs the same statements whatever its number of members.

The edit (``PATCH /api/v1/workspaces/<id>``) is what the fan-out benchmark times until
its event reaches every open browser: it asks only about the lead's own membership,
so it loads neither every member nor their roles, before or after its commit.
"""

from __future__ import annotations

from app.workspaces.models import Membership
from tests.factories import make_officers, make_user, make_workspace

API = "/api/v1"


def _members(db, workspace, count: int, prefix: str) -> None:
    people = make_officers(workspace.owner_department_id, count, prefix)
    db.session.add_all(
        Membership(workspace_id=workspace.id, user_id=person.id, role="member") for person in people
    )
    db.session.commit()


def _edit(client, headers, workspace_id: int, purpose: str, count_queries):
    """Send the edit and return the statements it ran."""
    path = f"{API}/workspaces/{workspace_id}"
    version = client.get(path, headers=headers).get_json()["version"]
    with count_queries() as counter:
        response = client.patch(
            path, headers=headers, json={"version": version, "purpose": purpose}
        )
    assert response.status_code == 200, response.get_json()
    return [" ".join(statement.split()) for statement in counter.statements]


def _loads_every_member(statement: str) -> bool:
    """A read of the workspace's memberships, or of many users' roles, not the lead's own."""
    every_membership = (
        "FROM memberships" in statement
        and "count(memberships.id)" not in statement
        and "memberships.user_id =" not in statement
    )
    return every_membership or ("FROM user_roles" in statement and " IN (" in statement)


def test_editing_a_workspace_does_not_load_its_members(client, db, count_queries, make_token):
    lead = make_user("officer")
    workspace = make_workspace(lead)
    headers = make_token(lead)
    _members(db, workspace, 2, "few")
    _edit(client, headers, workspace.id, "The first event creates the stream.", count_queries)
    few = _edit(client, headers, workspace.id, "Two members.", count_queries)
    _members(db, workspace, 200, "many")
    many = _edit(client, headers, workspace.id, "Two hundred and two members.", count_queries)

    assert len(many) == len(few), many
    assert [s for s in many if _loads_every_member(s)] == []


def test_the_lead_s_roles_come_with_the_locked_workspace(client, db, count_queries, make_token):
    """The locked load refreshes the people it names, the creating lead among them; their
    roles come in that statement rather than being read again before the policy check."""
    lead = make_user("officer")
    workspace = make_workspace(lead)
    headers = make_token(lead)
    _edit(client, headers, workspace.id, "The first event creates the stream.", count_queries)
    statements = _edit(client, headers, workspace.id, "A second edit.", count_queries)

    assert [s for s in statements if s.startswith("SELECT user_roles.")] == []
