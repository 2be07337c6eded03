"""A Redis outage in the middle of a stream of actions loses no update for any client.

Two app processes share a private redis-server (never the shared one, which other work
relies on). Clients sit on process A; a stream of workspace changes goes through process
B. Redis is killed part-way through and started again about three seconds later: B's
messages in between are dropped by Redis pub/sub without any error reaching a client.
The clients notice the gap at the next event they receive and fetch what they missed,
exactly as the browser's live.js does, so each ends with every event, in order.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from tests.realtime.catchup_client import CatchUpClient, close_all, wait_for
from tests.realtime.processes import Api, api_token, copy_instance, start_app, start_redis

pytestmark = [pytest.mark.redis, pytest.mark.one_pass("sqlite")]

OUTAGE_SECONDS = 3.0
ACTION_PAUSE = 0.1
WATCHERS = ("dsd.head", "dsd.deputy", "td.head", "td.officer", "police.officer")


@pytest.fixture
def outage_setup(tmp_path, demo_instance):
    redis_server = start_redis(tmp_path)
    env = copy_instance(demo_instance, tmp_path)
    started = []
    try:
        started.append(start_app("process-a", env, redis_server.url, tmp_path))
        started.append(start_app("process-b", env, redis_server.url, tmp_path))
        yield redis_server, started[0], started[1]
    finally:
        for app in started:
            app.stop()
        redis_server.stop()


def _department_id(api: Api, code: str) -> int:
    items = api.get(f"/departments?search={code}&per_page=100")["items"]
    return next(item["id"] for item in items if item["code"] == code)


def _workspace_everyone_watches(b) -> tuple[int, Api]:
    henry = Api(b, api_token(b, "dsd.head"))
    workspace = henry.post(
        "/workspaces",
        {
            "name": "Typhoon drill",
            "purpose": "Rename the workspace many times while Redis goes away.",
            "ends_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        expect=201,
    )
    wid = workspace["id"]
    for code, head in (("TD", "td.head"), ("HKPF", "police.head")):
        department = _department_id(henry, code)
        henry.post(f"/workspaces/{wid}/departments", {"department_id": department}, 201)
        Api(b, api_token(b, head)).post(f"/workspaces/{wid}/departments/{department}/accept")
    admin = Api(b, api_token(b, "admin"))
    for username in ("dsd.deputy", "td.officer", "police.officer"):
        users = admin.get(f"/users?search={username}&per_page=100")["items"]
        user_id = next(u["id"] for u in users if u["username"] == username)
        henry.post(f"/workspaces/{wid}/members", {"user_id": user_id}, 201)
    return wid, henry


class Renamer:
    """Renames the workspace through process B, once per call."""

    def __init__(self, api: Api, workspace_id: int) -> None:
        self.api = api
        self.workspace_id = workspace_id
        self.version = api.get(f"/workspaces/{workspace_id}")["version"]
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        body = {"version": self.version, "name": f"Typhoon drill, step {self.count}"}
        updated = self.api.patch(f"/workspaces/{self.workspace_id}", body)
        self.version = updated["version"]
        time.sleep(ACTION_PAUSE)


def test_every_client_ends_with_every_event_after_a_redis_outage(outage_setup):
    redis_server, a, b = outage_setup
    wid, henry = _workspace_everyone_watches(b)
    stream = f"workspace:{wid}"
    path = f"/api/v1/workspaces/{wid}/events"
    clients = [CatchUpClient(a.url, api_token(a, name), {stream: path}) for name in WATCHERS]
    try:
        for client in clients:
            client.connect()
        rename = Renamer(henry, wid)
        setup_last = henry.get(f"{path.removeprefix('/api/v1')}?after=0")["last_seq"]
        assert wait_for(lambda: all(c.streams[stream].last == setup_last for c in clients))

        for _ in range(15):
            rename()
        redis_server.stop()
        outage_ends = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < outage_ends:
            rename()
        redis_server.start()
        restarted_at = henry.get(f"{path.removeprefix('/api/v1')}?after=0")["last_seq"]

        def everyone_hears_again() -> bool:
            return all(
                any(e["seq"] > restarted_at for e in c.received if e["stream"] == stream)
                for c in clients
            )

        deadline = time.monotonic() + 60
        while not everyone_hears_again() and time.monotonic() < deadline:
            rename()
        for _ in range(10):
            rename()

        final = henry.get(f"{path.removeprefix('/api/v1')}?after=0")
        last = final["last_seq"]
        assert wait_for(lambda: all(c.streams[stream].last == last for c in clients), 30), [
            (c.streams[stream].last, last) for c in clients
        ]
        expected = Api(b, api_token(b, "admin")).get(f"{path.removeprefix('/api/v1')}?after=0")[
            "items"
        ]
        for client in clients:
            log = client.streams[stream]
            assert log.seqs == list(range(1, last + 1))
            assert log.events == expected
            dropped = [
                seq
                for seq in range(setup_last + 1, last + 1)
                if seq not in {e["seq"] for e in client.received if e["stream"] == stream}
            ]
            assert dropped, "no message was lost during the outage; the test proved nothing"
            assert client.connected
    finally:
        close_all(clients)
