"""Scale-out: two app processes share events, evictions and disconnections through Redis.

A client connects to process A with an API token; every action goes through the REST
API of process B. Runs against the Redis named by TEST_REDIS_URL (skips without it
locally, fails under CI=true).
"""

from __future__ import annotations

import pytest

from tests.realtime.catchup_client import CatchUpClient, wait_for
from tests.realtime.processes import Api, api_token, prepare_instance, start_app
from tests.services import require_redis

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Processes A and B on one SQLite file and one Redis."""
    queue = require_redis()
    instance = tmp_path_factory.mktemp("two-processes")
    env = prepare_instance(instance)
    a = start_app("process-a", env, queue, instance)
    try:
        b = start_app("process-b", env, queue, instance)
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
    for client in opened:
        client.close()


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
