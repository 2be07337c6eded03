"""Workspace streams: who may follow them, what arrives, and when it stops arriving."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.accounts import service as accounts
from app.common import utcnow
from app.extensions import db
from app.realtime import events_after, last_seq
from app.realtime.rooms import recheck_subscriptions
from app.workspaces import service as workspaces
from tests.conftest import login
from tests.factories import make_department, make_user


@pytest.fixture
def flood(db):
    """A workspace led by a drainage officer, with transport taking part."""
    drainage, transport = make_department("DSD"), make_department("TD")
    lead = make_user("officer", department=drainage)
    member = make_user("officer", department=drainage)
    transport_head = make_user("head", "officer", department=transport)
    transport_officer = make_user("officer", department=transport)
    outsider = make_user("officer")
    workspace = workspaces.create_workspace(
        lead,
        name="Flood response",
        purpose="Coordinate the typhoon season.",
        ends_on=date.today() + timedelta(days=90),
    )
    workspaces.add_member(lead, workspace.id, user_id=member.id)
    workspaces.invite_department(lead, workspace.id, transport.id)
    workspaces.accept_invitation(transport_head, workspace.id, transport.id)
    return {
        "workspace": workspace,
        "stream": f"workspace:{workspace.id}",
        "lead": lead,
        "member": member,
        "transport": transport,
        "transport_head": transport_head,
        "transport_officer": transport_officer,
        "outsider": outsider,
    }


def _rename(flood, name: str) -> None:
    workspace = db.session.get(type(flood["workspace"]), flood["workspace"].id)
    workspaces.update_workspace(flood["lead"], workspace.id, version=workspace.version, name=name)


def test_member_may_subscribe_and_learns_the_last_seq(flood, connect_socket, token_auth):
    socket = connect_socket(auth=token_auth(flood["member"]))
    ack = socket.subscribe(flood["stream"])
    assert ack == {"ok": True, "last_seq": last_seq(flood["stream"])}
    assert ack["last_seq"] >= 3


def test_head_of_a_participating_department_may_subscribe(flood, connect_socket, client):
    login(client, flood["transport_head"])
    socket = connect_socket(flask_client=client)
    assert socket.subscribe(flood["stream"])["ok"] is True


@pytest.mark.parametrize("who", ["outsider", "transport_officer"])
def test_people_outside_the_workspace_get_not_found(flood, connect_socket, token_auth, who):
    socket = connect_socket(auth=token_auth(flood[who]))
    ack = socket.subscribe(flood["stream"])
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_missing_workspace_gets_not_found(flood, connect_socket, token_auth):
    socket = connect_socket(auth=token_auth(flood["member"]))
    ack = socket.subscribe(f"workspace:{flood['workspace'].id + 1000}")
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_committed_service_calls_arrive_in_order_with_contiguous_seq(
    flood, connect_socket, token_auth
):
    socket = connect_socket(auth=token_auth(flood["member"]))
    start = socket.subscribe(flood["stream"])["last_seq"]
    socket.received()

    workspaces.add_member(
        flood["lead"], flood["workspace"].id, user_id=flood["transport_officer"].id
    )
    _rename(flood, "Flood response 2026")

    received = socket.events(flood["stream"])
    assert [m["seq"] for m in received] == [start + 1, start + 2]
    assert [m["type"] for m in received] == ["workspace.member_added", "workspace.updated"]
    assert all(m["data"]["text"] for m in received)
    stored = [e.as_message() for e in events_after(flood["stream"], start)]
    assert stored == received


def test_failed_service_call_emits_nothing_and_stores_nothing(
    flood, connect_socket, token_auth, monkeypatch
):
    socket = connect_socket(auth=token_auth(flood["member"]))
    before = socket.subscribe(flood["stream"])["last_seq"]
    socket.received()

    def broken_notify(*args, **kwargs):
        raise RuntimeError("notification store unavailable")

    monkeypatch.setattr("app.actions._notifier", broken_notify)
    with pytest.raises(RuntimeError):
        workspaces.add_member(
            flood["lead"], flood["workspace"].id, user_id=flood["transport_officer"].id
        )
    db.session.rollback()
    db.session.commit()

    assert socket.events() == []
    assert last_seq(flood["stream"]) == before
    assert events_after(flood["stream"], before) == []


def test_removed_member_stops_receiving_at_once(flood, connect_socket, token_auth):
    removed = connect_socket(auth=token_auth(flood["member"]))
    staying = connect_socket(auth=token_auth(flood["transport_head"]))
    for socket in (removed, staying):
        assert socket.subscribe(flood["stream"])["ok"] is True
        socket.received()

    workspaces.remove_member(flood["lead"], flood["workspace"].id, flood["member"].id)
    notices = removed.raw.get_received()
    _rename(flood, "Flood response, phase two")

    assert {"stream": flood["stream"], "reason": "access_removed"} in [
        n["args"][0] for n in notices if n["name"] == "unsubscribed"
    ]
    assert removed.events(flood["stream"]) == []
    assert [m["type"] for m in staying.events(flood["stream"])] == [
        "workspace.member_removed",
        "workspace.updated",
    ]
    again = removed.subscribe(flood["stream"])
    assert again["ok"] is False and again["error"]["code"] == "not_found"


@pytest.mark.parametrize("answer", ["decline", "withdraw"])
def test_head_of_an_invited_department_stops_receiving_once_the_invitation_ends(
    flood, connect_socket, token_auth, answer
):
    police = make_department("HKPF")
    police_head = make_user("head", "officer", department=police)
    workspaces.invite_department(flood["lead"], flood["workspace"].id, police.id)
    socket = connect_socket(auth=token_auth(police_head))
    assert socket.subscribe(flood["stream"])["ok"] is True
    socket.received()

    if answer == "decline":
        workspaces.decline_invitation(
            police_head, flood["workspace"].id, police.id, reason="Not our jurisdiction."
        )
    else:
        workspaces.withdraw_invitation(flood["lead"], flood["workspace"].id, police.id)
    notices = socket.raw.get_received()
    _rename(flood, "Flood response, without police")

    assert {"stream": flood["stream"], "reason": "access_removed"} in [
        n["args"][0] for n in notices if n["name"] == "unsubscribed"
    ]
    assert socket.events(flood["stream"]) == []


def test_expired_membership_is_ended_by_the_periodic_recheck(flood, connect_socket, token_auth):
    socket = connect_socket(auth=token_auth(flood["member"]))
    assert socket.subscribe(flood["stream"])["ok"] is True
    membership = flood["workspace"].membership_of(flood["member"].id)
    membership.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    socket.received()

    assert recheck_subscriptions() >= 1
    _rename(flood, "Flood response, after expiry")

    assert socket.events(flood["stream"]) == []
    assert socket.connected


def test_catch_up_endpoint_returns_exactly_what_was_missed(flood, client, connect_socket):
    login(client, flood["member"])
    socket = connect_socket(flask_client=client)
    seen = socket.subscribe(flood["stream"])["last_seq"]
    socket.raw.disconnect()

    workspaces.add_member(
        flood["lead"], flood["workspace"].id, user_id=flood["transport_officer"].id
    )
    _rename(flood, "Flood response (renamed while away)")

    response = client.get(f"/api/v1/workspaces/{flood['workspace'].id}/events?after={seen}")
    assert response.status_code == 200
    body = response.get_json()
    assert [m["seq"] for m in body["items"]] == [seen + 1, seen + 2]
    assert [m["type"] for m in body["items"]] == ["workspace.member_added", "workspace.updated"]
    assert body["last_seq"] == seen + 2
    assert body["items"] == [e.as_message() for e in events_after(flood["stream"], seen)]


def test_catch_up_endpoint_is_not_found_for_outsiders(flood, client):
    login(client, flood["outsider"])
    response = client.get(f"/api/v1/workspaces/{flood['workspace'].id}/events?after=0")
    assert response.status_code == 404


def test_bell_stream_counts_unread_live_and_catches_up(flood, client, connect_socket):
    from app.notifications import service as notifications

    officer = flood["transport_officer"]
    login(client, officer)
    socket = connect_socket(flask_client=client)
    stream = f"user:{officer.id}"
    seen = socket.subscribe(stream)["last_seq"]
    socket.received()

    workspaces.add_member(flood["lead"], flood["workspace"].id, user_id=officer.id)
    [added] = socket.events(stream)
    assert added["seq"] == seen + 1
    assert added["type"] == "notification.created"
    assert added["data"]["unread"] == 1
    socket.raw.disconnect()

    notifications.mark_all_read(officer)
    response = client.get(f"/api/v1/notifications/events?after={seen + 1}")

    body = response.get_json()
    assert [(m["seq"], m["type"], m["data"]["unread"]) for m in body["items"]] == [
        (seen + 2, "notification.read", 0)
    ]
    assert body["last_seq"] == seen + 2


def _evicted(socket, stream: str) -> bool:
    notices = socket.raw.get_received()
    return {"stream": stream, "reason": "access_removed"} in [
        n["args"][0] for n in notices if n["name"] == "unsubscribed"
    ]


def _invited_police(flood):
    police = make_department("HKPF")
    head = make_user("head", "officer", department=police)
    workspaces.invite_department(flood["lead"], flood["workspace"].id, police.id)
    return police, head


def test_revoking_a_delegation_evicts_the_deputy_at_once(flood, connect_socket, token_auth):
    police, head = _invited_police(flood)
    deputy = make_user("officer", department=police)
    delegation = accounts.create_delegation(
        head, deputy_id=deputy.id, starts_on=utcnow().date(), ends_on=utcnow().date()
    )
    socket = connect_socket(auth=token_auth(deputy))
    assert socket.subscribe(flood["stream"])["ok"] is True
    socket.received()

    accounts.revoke_delegation(head, delegation.id)

    assert _evicted(socket, flood["stream"])
    _rename(flood, "Flood response, deputy gone")
    assert socket.events(flood["stream"]) == []


@pytest.mark.parametrize("change", ["roles", "department"])
def test_losing_the_head_role_or_the_department_evicts_at_once(
    flood, connect_socket, token_auth, change
):
    admin = make_user("admin")
    _police, head = _invited_police(flood)
    socket = connect_socket(auth=token_auth(head))
    assert socket.subscribe(flood["stream"])["ok"] is True
    socket.received()

    if change == "roles":
        accounts.update_user(admin, head.id, roles=["officer"])
    else:
        accounts.update_user(admin, head.id, department_id=make_department("WSD").id)

    assert _evicted(socket, flood["stream"])
    assert socket.connected, "only the stream ends, not the connection"


def test_a_role_change_that_keeps_access_evicts_nobody(flood, connect_socket, token_auth):
    admin = make_user("admin")
    socket = connect_socket(auth=token_auth(flood["member"]))
    assert socket.subscribe(flood["stream"])["ok"] is True
    socket.received()

    accounts.update_user(admin, flood["member"].id, roles=["officer", "dpo"])

    assert not _evicted(socket, flood["stream"])
    _rename(flood, "Flood response, with a dpo")
    assert [m["type"] for m in socket.events(flood["stream"])] == ["workspace.updated"]
