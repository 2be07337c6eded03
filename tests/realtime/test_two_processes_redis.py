"""Scale-out: two app processes share events, evictions and disconnections through Redis.

A client connects to process A with an API token; every action goes through the REST
API of process B. Runs against the Redis named by TEST_REDIS_URL (skips without it
locally, fails under CI=true).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from app.demo import DEMO_PASSWORD
from tests.conftest import _csrf_from
from tests.realtime.catchup_client import CatchUpClient, close_all, wait_for
from tests.realtime.processes import Api, api_token, copy_instance, start_app
from tests.services import require_redis

pytestmark = [pytest.mark.redis, pytest.mark.one_pass("sqlite")]


@pytest.fixture(scope="module", params=["threading", "gevent"])
def cluster(request, tmp_path_factory, demo_instance):
    """Processes A and B on one SQLite file and one Redis, as development or production runs."""
    queue = require_redis()
    instance = tmp_path_factory.mktemp("two-processes")
    env = copy_instance(demo_instance, instance)
    a = start_app("process-a", env, queue, instance, request.param)
    try:
        b = start_app("process-b", env, queue, instance, request.param)
    except BaseException:
        a.stop()
        raise
    yield a, b
    b.stop()
    a.stop()


@pytest.fixture
def clients():
    opened: list[CatchUpClient] = []
    yield opened
    close_all(opened)


def _client_on(app, username: str, streams: dict[str, str], opened: list) -> CatchUpClient:
    client = CatchUpClient(app.url, api_token(app, username), streams)
    opened.append(client)
    client.connect()
    return client


def _user_id(app, username: str) -> int:
    return Api(app, api_token(app, username)).get("/me")["user"]["id"]


def test_deactivation_through_one_process_disconnects_sockets_on_the_other(cluster, clients):
    a, b = cluster
    admin = Api(b, api_token(b, "admin"))
    target = _client_on(a, "ha.officer", {}, clients)
    bystander = _client_on(a, "ha.head", {}, clients)
    assert target.connected and bystander.connected
    user_id = _user_id(b, "ha.officer")

    admin.patch(f"/users/{user_id}", {"active": False})
    try:
        assert wait_for(lambda: not target.connected), "the deactivated user is still connected"
        assert bystander.connected
    finally:
        admin.patch(f"/users/{user_id}", {"active": True})


def test_token_revoked_through_one_process_disconnects_its_sockets_on_the_other(cluster, clients):
    """Finding 5 of issue 14: a revoked token's socket must stop at once, on any process."""
    a, b = cluster
    doomed_secret = api_token(a, "td.officer")
    doomed = CatchUpClient(a.url, doomed_secret, {})
    clients.append(doomed)
    doomed.connect()
    kept = _client_on(a, "td.officer", {}, clients)
    assert doomed.connected and kept.connected
    owner = Api(b, api_token(b, "td.officer"))
    prefix = doomed_secret.split("_")[1]
    token = next(t for t in owner.get("/tokens?per_page=100")["items"] if t["prefix"] == prefix)

    owner.post(f"/tokens/{token['id']}/revoke")

    assert wait_for(lambda: not doomed.connected), "the revoked token's socket is still open"
    assert kept.connected


def _signed_in_browser(app, username: str, password: str = DEMO_PASSWORD) -> requests.Session:
    browser = requests.Session()
    token = _csrf_from(browser.get(f"{app.url}/login", timeout=10).text)
    response = browser.post(
        f"{app.url}/login",
        data={"username": username, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    return browser


def _change_password(app, browser: requests.Session, current: str, new: str) -> None:
    token = _csrf_from(browser.get(f"{app.url}/profile/password", timeout=10).text)
    response = browser.post(
        f"{app.url}/profile/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new,
            "csrf_token": token,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text


def test_password_changed_through_one_process_disconnects_token_sockets_on_the_other(
    cluster, clients
):
    """Finding 5 of issue 14: the tokens end with the password, and so do their sockets."""
    a, b = cluster
    target = _client_on(a, "police.officer", {}, clients)
    bystander = _client_on(a, "police.head", {}, clients)
    assert target.connected and bystander.connected
    browser = _signed_in_browser(b, "police.officer")
    new_password = "a-fresh-passphrase-for-this-test"

    _change_password(b, browser, DEMO_PASSWORD, new_password)
    try:
        assert wait_for(lambda: not target.connected), "the old token's socket is still open"
        assert bystander.connected
    finally:
        _change_password(b, browser, new_password, DEMO_PASSWORD)


def _workspace_path(workspace_id: int) -> str:
    return f"/api/v1/workspaces/{workspace_id}/events"


def _department_id(api: Api, code: str) -> int:
    items = api.get(f"/departments?search={code}&per_page=100")["items"]
    return next(item["id"] for item in items if item["code"] == code)


def _new_workspace(api: Api, name: str) -> dict:
    return api.post(
        "/workspaces",
        {
            "name": name,
            "purpose": "Exercise live updates across two processes.",
            "ends_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        expect=201,
    )


def test_event_of_an_action_on_one_process_reaches_a_client_of_the_other(cluster, clients):
    a, b = cluster
    henry = Api(b, api_token(b, "dsd.head"))
    tina = Api(b, api_token(b, "td.head"))
    transport = _department_id(henry, "TD")
    workspace = _new_workspace(henry, "Two processes: invitation")
    stream = f"workspace:{workspace['id']}"
    henry.post(f"/workspaces/{workspace['id']}/departments", {"department_id": transport}, 201)
    watcher = _client_on(a, "td.head", {stream: _workspace_path(workspace["id"])}, clients)
    log = watcher.streams[stream]
    assert wait_for(lambda: log.last == 2), "the subscription did not catch up"

    tina.post(f"/workspaces/{workspace['id']}/departments/{transport}/accept")

    assert wait_for(lambda: log.last == 3), f"no event arrived on A: {watcher.received}"
    assert log.events[-1]["type"] == "workspace.department_accepted"
    assert "Tina Leung" in log.events[-1]["data"]["text"]
    assert log.live == 1, "the event came from the catch-up endpoint, not through Redis"


def test_member_removed_through_one_process_stops_receiving_on_the_other(cluster, clients):
    a, b = cluster
    henry = Api(b, api_token(b, "dsd.head"))
    tina = Api(b, api_token(b, "td.head"))
    transport = _department_id(henry, "TD")
    workspace = _new_workspace(henry, "Two processes: removal")
    wid = workspace["id"]
    stream = f"workspace:{wid}"
    henry.post(f"/workspaces/{wid}/departments", {"department_id": transport}, 201)
    tina.post(f"/workspaces/{wid}/departments/{transport}/accept")
    tom_id = _user_id(b, "td.officer")
    henry.post(f"/workspaces/{wid}/members", {"user_id": tom_id}, 201)
    tom = _client_on(
        a,
        "td.officer",
        {stream: _workspace_path(wid), f"user:{tom_id}": "/api/v1/notifications/events"},
        clients,
    )
    lead = _client_on(a, "dsd.head", {stream: _workspace_path(wid)}, clients)
    assert wait_for(lambda: tom.streams[stream].last == 4 and lead.streams[stream].last == 4)
    notifications = tom.streams[f"user:{tom_id}"]
    tom_api = Api(b, api_token(b, "td.officer"))
    before_removal = tom_api.get("/notifications/events?after=0")["last_seq"]
    assert wait_for(lambda: notifications.last == before_removal)

    henry.delete(f"/workspaces/{wid}/members/{tom_id}")
    assert wait_for(lambda: tom.unsubscribed), "no eviction reached process A"
    version = henry.get(f"/workspaces/{wid}")["version"]
    henry.patch(f"/workspaces/{wid}", {"version": version, "name": "Renamed after removal"})
    henry.post(f"/workspaces/{wid}/members", {"user_id": tom_id}, 201)

    assert wait_for(lambda: notifications.last == before_removal + 2), (
        "no notification of re-adding"
    )
    assert wait_for(lambda: lead.streams[stream].last == 7)
    assert [e["type"] for e in lead.streams[stream].events[-3:]] == [
        "workspace.member_removed",
        "workspace.updated",
        "workspace.member_added",
    ]
    leaked = [m for m in tom.received if m["stream"] == stream and m["seq"] >= 6]
    assert leaked == [], "the removed member still received the workspace's events"


def test_who_else_views_a_case_is_shown_across_processes(cluster, clients):
    """Presence through Redis: a viewer of a case on one process is listed on the page of a
    viewer on the other process, and taken off it when they leave."""
    a, b = cluster
    olivia_api = Api(b, api_token(b, "dsd.officer"))
    case_id = next(
        case["id"]
        for case in olivia_api.get("/cases?per_page=100")["items"]
        if case["title"] == "Sha Tin flooding, typhoon signal No. 8"
    )
    stream = f"case:{case_id}"
    streams = {stream: f"/api/v1/cases/{case_id}/events"}
    seen_on_a: list[list[str]] = []

    def note(message: dict) -> None:
        if message["stream"] == stream:
            seen_on_a.append(sorted(viewer["name"] for viewer in message["viewers"]))

    olivia = CatchUpClient(a.url, api_token(a, "dsd.officer"), streams)
    clients.append(olivia)
    olivia.sio.on("presence", note)
    olivia.connect()
    assert wait_for(lambda: seen_on_a[-1:] == [["Olivia Ho"]]), seen_on_a

    tom = _client_on(b, "td.officer", streams, clients)
    assert wait_for(lambda: seen_on_a[-1:] == [["Olivia Ho", "Tom Cheung"]]), (
        f"process A never listed the viewer on process B: {seen_on_a}"
    )

    tom.close()
    assert wait_for(lambda: seen_on_a[-1:] == [["Olivia Ho"]]), (
        f"process A still lists the viewer who left process B: {seen_on_a}"
    )
