"""Case streams: who may follow them, live board and timeline updates, presence, eviction."""

from __future__ import annotations

import pytest

from app.cases import service
from app.realtime import presence
from app.realtime.rooms import recheck_subscriptions
from tests.case_world import build_world, department_leaves


@pytest.fixture
def world(db):
    world = build_world()
    world["case"] = service.create_case(
        world["people"]["lead"], world["workspace"].id, title="Sha Tin flooding"
    )
    world["stream"] = f"case:{world['case'].id}"
    return world


def _viewers(socket, stream: str) -> list[list[str]]:
    return [
        [viewer["name"] for viewer in message["viewers"]]
        for message in socket.received("presence")
        if message["stream"] == stream
    ]


@pytest.mark.parametrize("who", ["lead", "member", "observer"])
def test_participants_may_follow_a_case(world, connect_socket, token_auth, who):
    socket = connect_socket(auth=token_auth(world["people"][who]))
    ack = socket.subscribe(world["stream"])
    assert ack == {"ok": True, "last_seq": 1}


@pytest.mark.parametrize(
    "who, code",
    [("outsider", "not_found"), ("transport_officer", "not_found"), ("auditor", "forbidden")],
)
def test_others_may_not_follow_a_case(world, connect_socket, token_auth, who, code):
    socket = connect_socket(auth=token_auth(world["people"][who]))
    ack = socket.subscribe(world["stream"])
    assert ack["ok"] is False and ack["error"]["code"] == code


def test_an_edit_reaches_the_case_page_and_every_board_in_order(world, connect_socket, token_auth):
    people, case = world["people"], world["case"]
    page = connect_socket(auth=token_auth(people["member"]))
    board = connect_socket(auth=token_auth(people["observer"]))
    page.subscribe(world["stream"])
    board.subscribe(f"cases:{world['workspace'].id}")
    page.received(), board.received()

    service.update_case(people["lead"], case.id, version=1, status="blocked")
    service.add_comment(people["lead"], case.id, "Gully at Tai Wai blocked by debris.")

    timeline = page.events(world["stream"])
    assert [m["type"] for m in timeline] == ["case.moved", "case.commented"]
    assert [m["seq"] for m in timeline] == [2, 3]
    assert timeline[0]["data"]["case"]["status"] == "blocked"
    assert timeline[1]["data"]["comment"]["body"] == "Gully at Tai Wai blocked by debris."
    on_board = board.events(f"cases:{world['workspace'].id}")
    assert [m["type"] for m in on_board] == ["case.moved"]  # comments are the case's alone
    assert on_board[0]["data"]["case"] == timeline[0]["data"]["case"]


@pytest.mark.parametrize("who", ["lead", "observer", "auditor"])
def test_those_who_may_list_the_cases_may_follow_the_boards(world, connect_socket, token_auth, who):
    socket = connect_socket(auth=token_auth(world["people"][who]))
    assert socket.subscribe(f"cases:{world['workspace'].id}") == {"ok": True, "last_seq": 1}


def test_an_invited_head_follows_the_workspace_but_not_its_boards(
    world, connect_socket, token_auth
):
    """The head of a department invited (not yet answered) sees the workspace to decide,
    not its cases: neither the boards' stream nor a case event on the workspace's."""
    from tests.factories import make_department, make_participation, make_user

    invited = make_department()
    make_participation(world["workspace"], invited, status="invited")
    head = make_user("head", "officer", department=invited)
    socket = connect_socket(auth=token_auth(head))
    assert socket.subscribe(f"workspace:{world['workspace'].id}")["ok"] is True
    refused = socket.subscribe(f"cases:{world['workspace'].id}")
    assert refused["ok"] is False and refused["error"]["code"] == "not_found"
    socket.received()

    service.update_case(world["people"]["lead"], world["case"].id, version=1, status="blocked")
    assert socket.events(f"workspace:{world['workspace'].id}") == []
    assert socket.events(f"cases:{world['workspace'].id}") == []


def test_presence_lists_who_is_viewing_and_updates_when_they_leave(
    world, connect_socket, token_auth
):
    people = world["people"]
    lead = connect_socket(auth=token_auth(people["lead"]))
    member = connect_socket(auth=token_auth(people["member"]))
    lead.subscribe(world["stream"])
    assert _viewers(lead, world["stream"]) == [[people["lead"].display_name]]

    member.subscribe(world["stream"])
    both = sorted([people["lead"].display_name, people["member"].display_name])
    assert _viewers(lead, world["stream"]) == [both]
    assert _viewers(member, world["stream"]) == [both]

    member.unsubscribe(world["stream"])
    assert _viewers(lead, world["stream"]) == [[people["lead"].display_name]]

    member.subscribe(world["stream"])
    lead.received("presence")
    member.raw.disconnect()
    assert _viewers(lead, world["stream"]) == [[people["lead"].display_name]]


def test_presence_merges_what_other_processes_announce(world, connect_socket, token_auth):
    people = world["people"]
    lead = connect_socket(auth=token_auth(people["lead"]))
    lead.subscribe(world["stream"])
    presence.heard("other-host", world["stream"], [{"id": 999, "name": "Tom Cheung"}])
    try:
        names = [viewer["name"] for viewer in presence.viewers(world["stream"])]
        assert names == sorted([people["lead"].display_name, "Tom Cheung"])
    finally:
        presence.heard("other-host", world["stream"], [])


def test_members_of_a_department_that_left_stop_receiving(world, connect_socket, token_auth):
    people = world["people"]
    leaving = connect_socket(auth=token_auth(people["left_department_member"]))
    assert leaving.subscribe(world["stream"])["ok"] is True
    department_leaves(world)
    leaving.received()

    assert recheck_subscriptions() >= 1
    service.update_case(people["lead"], world["case"].id, version=1, priority="high")
    assert leaving.events(world["stream"]) == []


def test_presence_announced_by_another_process_on_the_control_channel_is_kept(app, world):
    import json

    from app.realtime.rooms import ControlChannel

    channel = ControlChannel(app, None, "bridgework-test")
    message = {
        "op": "presence",
        "host": "process-two",
        "stream": world["stream"],
        "viewers": [{"id": 4242, "name": "Li Na"}],
    }
    channel._handle(json.dumps(message))
    try:
        assert [v["name"] for v in presence.viewers(world["stream"])] == ["Li Na"]
    finally:
        channel._handle(json.dumps({**message, "viewers": []}))
    assert presence.viewers(world["stream"]) == []
