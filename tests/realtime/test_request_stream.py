"""Request streams: who may follow ``request:<id>``, and that each decision reaches the
request's stream, its workspace's activity feed and the deciders' own streams live."""

from __future__ import annotations

import pytest

from app.realtime import events_after
from app.sharing import service
from tests.conftest import login
from tests.request_world import request_world, scope


@pytest.fixture
def w(db):
    world = request_world()
    world.request = service.file_request(
        world.requester, world.workspace.id, dataset_id=world.flood.id, submit=True, **scope()
    )
    world.stream = f"request:{world.request.id}"
    return world


@pytest.mark.parametrize(
    "who", ["requester", "td_head", "td_deputy", "dsd_head", "steward", "member", "auditor"]
)
def test_people_involved_may_follow_the_request(w, connect_socket, token_auth, who):
    socket = connect_socket(auth=token_auth(getattr(w, who)))
    ack = socket.subscribe(w.stream)
    assert ack == {"ok": True, "last_seq": 2}


@pytest.mark.parametrize("who", ["outsider", "dpo"])
def test_others_get_not_found(w, connect_socket, token_auth, who):
    socket = connect_socket(auth=token_auth(getattr(w, who)))
    ack = socket.subscribe(w.stream)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_decisions_reach_the_request_workspace_and_user_streams(
    w, connect_socket, token_auth, client
):
    login(client, w.requester)
    requester = connect_socket(flask_client=client)
    assert requester.subscribe(w.stream)["ok"]
    assert requester.subscribe(f"workspace:{w.workspace.id}")["ok"]
    owner = connect_socket(auth=token_auth(w.dsd_head))
    requester.received()
    owner.received()

    service.endorse_request(w.td_deputy, w.request.id)
    service.approve_request(w.dsd_head, w.request.id)

    arrived = requester.events()
    on_request = [m for m in arrived if m["stream"] == w.stream]
    assert [m["type"] for m in on_request] == ["data_request.endorsed", "data_request.approved"]
    assert [m["seq"] for m in on_request] == [3, 4]
    assert on_request[0]["data"]["text"].endswith(f"endorsed “{w.request.title}”")
    assert f"on behalf of {w.td_head.display_name}" in on_request[0]["data"]["text"]
    assert on_request[1]["data"]["status"] == "approved"
    stored = [e.as_message() for e in events_after(w.stream, 2)]
    assert stored == on_request
    feed = [m for m in arrived if m["stream"] == f"workspace:{w.workspace.id}"]
    assert [m["type"] for m in feed] == ["data_request.endorsed", "data_request.approved"]
    # The owner's head follows only their own stream: the queue news arrives there.
    own = [m["type"] for m in owner.events(f"user:{w.dsd_head.id}")]
    assert "data_request.endorsed" in own and "data_request.approved" in own


def test_catch_up_gives_what_a_reconnecting_page_missed(w, client):
    login(client, w.requester)
    service.endorse_request(w.td_head, w.request.id)
    body = client.get(f"/api/v1/data-requests/{w.request.id}/events?after=2").get_json()
    assert [item["type"] for item in body["items"]] == ["data_request.endorsed"]
    assert body["last_seq"] == 3
