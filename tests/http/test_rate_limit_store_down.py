"""Sign-in answers a clear 503 when the rate-limit store (Redis) is down, never a 500."""

from __future__ import annotations

import socket

import pytest
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.extensions import limiter
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def store_down(monkeypatch):
    """The limiter's store is Redis on a closed port, as when Redis has stopped."""
    storage = storage_from_string(f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=1)
    monkeypatch.setattr(limiter, "_limiter", FixedWindowRateLimiter(storage))


def test_the_sign_in_page_answers_503_with_a_message(client, db, store_down):
    user = make_user("officer")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 503
    assert "not answering" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "60"


def test_the_token_api_answers_503_in_the_envelope(client, db, store_down):
    user = make_user("officer")
    response = client.post(
        "/api/v1/tokens", json={"username": user.username, "password": PASSWORD, "name": "cli"}
    )
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and "Try again" in error["message"]


def test_the_page_answers_again_once_the_store_is_back(client, db):
    assert client.get("/login").status_code == 200
