"""Socket fixtures: Flask-SocketIO test clients that share the test's database transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import socketio
from tests.realtime.processes import prepare_instance


class SocketClient:
    """A thin wrapper over Flask-SocketIO's test client with the calls tests need."""

    def __init__(self, raw):
        self.raw = raw

    @property
    def connected(self) -> bool:
        return self.raw.is_connected()

    def subscribe(self, stream: str) -> dict:
        return self.raw.emit("subscribe", {"stream": stream}, callback=True)

    def unsubscribe(self, stream: str) -> dict:
        return self.raw.emit("unsubscribe", {"stream": stream}, callback=True)

    def received(self, name: str = "event") -> list:
        """Payloads of ``name`` messages received since the last call (others are dropped)."""
        return [item["args"][0] for item in self.raw.get_received() if item["name"] == name]

    def events(self, stream: str | None = None) -> list[dict]:
        return [m for m in self.received() if stream is None or m["stream"] == stream]


@pytest.fixture
def connect_socket(app, db):
    """``connect_socket(flask_client=..., auth=...)`` opens a socket; all close after the test."""
    opened = []

    def _connect(flask_client=None, auth=None) -> SocketClient:
        raw = socketio.test_client(app, flask_test_client=flask_client, auth=auth)
        opened.append(raw)
        return SocketClient(raw)

    yield _connect
    for raw in opened:
        if raw.is_connected():
            raw.disconnect()


@pytest.fixture
def token_auth(make_token):
    """``token_auth(user)`` -> the ``auth`` dict an API client sends when connecting."""

    def _auth(user) -> dict:
        header = make_token(user)["Authorization"]
        return {"token": header.removeprefix("Bearer ")}

    return _auth


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory) -> Path:
    """An instance folder migrated and seeded with the demo data, once per run.

    Tests that start app processes take a copy of it (``copy_instance``) instead of
    migrating and seeding their own, which costs two app start-ups each.
    """
    prepared = tmp_path_factory.mktemp("demo-instance")
    prepare_instance(prepared)
    return prepared
