"""The periodic re-check of live access runs in every server mode.

Access can lapse with no action to announce it (a token or membership running out of
time). Each process therefore re-asks policy every ``REALTIME_RECHECK_SECONDS``. Here a
token's expiry is moved into the past straight in the database, which no action tells
anyone about: only the sweep can notice, under ``python wsgi.py`` (``make run``,
threading) and under gunicorn's gevent worker (production).
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.realtime.catchup_client import CatchUpClient, wait_for
from tests.realtime.processes import api_token, copy_instance, start_app

pytestmark = pytest.mark.one_pass("sqlite")


@pytest.fixture(scope="module", params=["threading", "gevent"])
def server(request, tmp_path_factory, demo_instance):
    instance = tmp_path_factory.mktemp(f"sweep-{request.param}")
    env = {**copy_instance(demo_instance, instance), "REALTIME_RECHECK_SECONDS": "1"}
    app = start_app(f"sweep-{request.param}", env, "", instance, request.param)
    yield app, instance / "bridgework.sqlite"
    app.stop()


def _expire_token(database, token: str) -> None:
    prefix = token.split("_")[1]
    with sqlite3.connect(database) as connection:
        changed = connection.execute(
            "UPDATE api_tokens SET expires_at = '2000-01-01 00:00:00.000000' WHERE prefix = ?",
            (prefix,),
        ).rowcount
    assert changed == 1


def test_the_sweep_ends_a_socket_whose_token_lapsed_with_time(server):
    app, database = server
    lapsing = CatchUpClient(app.url, api_token(app, "td.officer"), {})
    staying = CatchUpClient(app.url, api_token(app, "td.head"), {})
    try:
        lapsing.connect()
        staying.connect()
        assert lapsing.connected and staying.connected
        _expire_token(database, lapsing.token)
        assert wait_for(lambda: not lapsing.connected, timeout=15), app.tail()
        assert staying.connected
    finally:
        lapsing.close()
        staying.close()
