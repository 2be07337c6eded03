"""Grant streams: who may follow them, and a revocation pushed to open pages at once."""

from __future__ import annotations

import pytest

from app.grants import revoking
from app.realtime import last_seq
from tests.grant_world import make_grant, upload_reports
from tests.request_world import request_world


@pytest.fixture
def w(db):
    world = request_world()
    world.version = upload_reports(world)
    world.grant = make_grant(world)
    world.stream = f"grant:{world.grant.id}"
    return world


def test_grantee_owner_and_auditor_follow_outsider_does_not(w, connect_socket, token_auth):
    for person in (w.member, w.steward, w.auditor, w.observer):
        ack = connect_socket(auth=token_auth(person)).subscribe(w.stream)
        assert ack == {"ok": True, "last_seq": last_seq(w.stream)}
    ack = connect_socket(auth=token_auth(w.outsider)).subscribe(w.stream)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_revocation_is_pushed_to_the_grant_and_workspace_streams(w, connect_socket, token_auth):
    grantee = connect_socket(auth=token_auth(w.member))
    grantee.subscribe(w.stream)
    grantee.subscribe(f"workspace:{w.workspace.id}")
    grantee.received()
    revoking.revoke_grant(w.steward, w.grant.id, reason="The purpose is met.")
    received = grantee.events()
    on_grant = [m for m in received if m["stream"] == w.stream]
    assert [m["type"] for m in on_grant] == ["grant.revoked"]
    assert "The purpose is met." in on_grant[0]["data"]["text"]
    on_workspace = [m for m in received if m["stream"] == f"workspace:{w.workspace.id}"]
    assert [m["data"]["grant_id"] for m in on_workspace] == [w.grant.id]


def test_a_read_is_pushed_to_the_owner(w, connect_socket, token_auth):
    from app.grants import reading

    owner = connect_socket(auth=token_auth(w.steward))
    owner.subscribe(w.stream)
    owner.received()
    reading.read_through_grant(w.member, w.grant.id, limit=2).file.close()
    events = owner.events(w.stream)
    assert [(m["type"], m["data"]["rows"]) for m in events] == [("grant.data_read", 2)]
