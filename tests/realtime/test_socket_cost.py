"""What opening a socket costs the database, and the checks after joining a room that stay.

After a restart every browser reconnects at once, so connecting and subscribing take a
fixed handful of statements on plain columns, however many members the workspace has:
connect joins the user's room and then checks the token (one statement; a token the
process has not seen yet is also looked up before joining, to learn whose it is);
subscribe checks the membership before joining, then, after joining, the token, the
membership and the stream's last sequence number in one statement. The checks after
joining are what keeps a removal that commits while the socket joins from leaving it
inside; the last tests make such a change commit at that very moment, without the
announcement that would otherwise evict the socket (as when it comes from another
process whose message is still on its way), and expect the socket turned away.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import delete, update

from app.accounts.models import ApiToken, User
from app.common import utcnow
from app.extensions import db, socketio
from app.workspaces import service as workspaces
from app.workspaces.models import Membership
from tests.conftest import login
from tests.factories import make_department, make_user

FIRST_CONNECT_STATEMENTS = 2
CONNECT_STATEMENTS = 1
SUBSCRIBE_STATEMENTS = 2


@pytest.fixture
def crowded(db):
    """A workspace of 30 members; one of them is the socket's user."""
    drainage = make_department("DSD")
    lead = make_user("officer", department=drainage)
    workspace = workspaces.create_workspace(
        lead,
        name="Typhoon season",
        purpose="Keep the drains clear.",
        ends_on=date.today() + timedelta(days=90),
    )
    members = [make_user("officer", department=drainage) for _ in range(29)]
    for member in members:
        workspaces.add_member(lead, workspace.id, user_id=member.id)
    return {
        "workspace_id": workspace.id,
        "stream": f"workspace:{workspace.id}",
        "lead": lead,
        "member": members[0],
    }


def test_a_token_socket_connects_and_subscribes_in_a_fixed_number_of_statements(
    crowded, connect_socket, token_auth, count_queries
):
    auth = token_auth(crowded["member"])

    with count_queries() as first_connecting:
        connect_socket(auth=auth)
    with count_queries() as connecting:
        socket = connect_socket(auth=auth)
    with count_queries() as subscribing:
        ack = socket.subscribe(crowded["stream"])

    assert socket.connected and ack["ok"] is True
    assert first_connecting.count == FIRST_CONNECT_STATEMENTS, first_connecting.statements
    assert connecting.count == CONNECT_STATEMENTS, connecting.statements
    assert subscribing.count == SUBSCRIBE_STATEMENTS, subscribing.statements
    assert not any("workspace_departments" in s for s in subscribing.statements), (
        "a member's subscription does not load the workspace's departments"
    )


def test_a_browser_socket_subscribes_in_the_same_statements(
    crowded, client, connect_socket, count_queries
):
    login(client, crowded["member"])
    g.pop("_login_user", None)  # the handshake reads the cookie, as a new request would
    socket = connect_socket(flask_client=client)

    with count_queries() as subscribing:
        ack = socket.subscribe(crowded["stream"])

    assert ack["ok"] is True
    assert subscribing.count == SUBSCRIBE_STATEMENTS, subscribing.statements


def test_a_token_revoked_since_the_process_last_saw_it_is_refused(
    crowded, connect_socket, token_auth
):
    auth = token_auth(crowded["member"])
    assert connect_socket(auth=auth).connected
    prefix = auth["token"].split("_")[1]
    db.session.execute(
        update(ApiToken).where(ApiToken.prefix == prefix).values(revoked_at=utcnow())
    )
    db.session.commit()

    assert not connect_socket(auth=auth).connected


def test_a_known_token_with_a_wrong_secret_is_refused(crowded, connect_socket, token_auth):
    auth = token_auth(crowded["member"])
    assert connect_socket(auth=auth).connected
    forged = auth["token"][:-4] + ("aaaa" if not auth["token"].endswith("aaaa") else "bbbb")

    assert not connect_socket(auth={"token": forged}).connected


def test_someone_who_is_not_a_member_still_gets_the_full_check(crowded, connect_socket, token_auth):
    outsider = connect_socket(auth=token_auth(make_user("officer")))
    auditor = connect_socket(auth=token_auth(make_user("auditor")))

    assert outsider.subscribe(crowded["stream"])["error"]["code"] == "not_found"
    assert auditor.subscribe(crowded["stream"])["ok"] is True


def test_an_expired_membership_is_not_a_shortcut(crowded, connect_socket, token_auth):
    socket = connect_socket(auth=token_auth(crowded["member"]))
    db.session.execute(
        update(Membership)
        .where(Membership.user_id == crowded["member"].id)
        .values(expires_at=date.today() - timedelta(days=1))
    )
    db.session.commit()

    ack = socket.subscribe(crowded["stream"])

    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def _committing_while_joining(monkeypatch, room: str, change) -> None:
    """Make ``change`` commit just after the socket entered ``room``, before anything else."""
    enter_room = socketio.server.enter_room

    def enter_and_change(sid, joined, namespace=None):
        enter_room(sid, joined, namespace=namespace)
        if joined == room:
            change()
            db.session.commit()

    monkeypatch.setattr(socketio.server, "enter_room", enter_and_change)


def test_a_membership_removed_while_the_socket_joins_leaves_it_outside(
    crowded, connect_socket, token_auth, monkeypatch
):
    member = crowded["member"]
    socket = connect_socket(auth=token_auth(member))
    _committing_while_joining(
        monkeypatch,
        crowded["stream"],
        lambda: db.session.execute(delete(Membership).where(Membership.user_id == member.id)),
    )

    ack = socket.subscribe(crowded["stream"])
    monkeypatch.undo()
    socket.received()
    workspace = workspaces.get_workspace(crowded["lead"], crowded["workspace_id"])
    workspaces.update_workspace(
        crowded["lead"], workspace.id, version=workspace.version, name="Renamed"
    )

    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    assert socket.events(crowded["stream"]) == []


def test_an_account_deactivated_while_the_socket_connects_is_refused(
    crowded, connect_socket, token_auth, monkeypatch
):
    member = crowded["member"]
    auth = token_auth(member)
    _committing_while_joining(
        monkeypatch,
        f"user:{member.id}",
        lambda: db.session.execute(update(User).where(User.id == member.id).values(active=False)),
    )

    assert not connect_socket(auth=auth).connected


def test_an_account_deactivated_while_the_socket_subscribes_is_turned_away(
    crowded, connect_socket, token_auth, monkeypatch
):
    member = crowded["member"]
    socket = connect_socket(auth=token_auth(member))
    _committing_while_joining(
        monkeypatch,
        crowded["stream"],
        lambda: db.session.execute(update(User).where(User.id == member.id).values(active=False)),
    )

    ack = socket.subscribe(crowded["stream"])

    assert ack["ok"] is False and ack["error"]["code"] == "unauthorized"
    assert not socket.connected
