"""Every response carries the security headers; signed-in pages are never cached."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import make_user

BASE_HEADERS = {
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
}
SOCKET_HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def assert_secured(response) -> None:
    missing = {name for name in BASE_HEADERS if name not in response.headers}
    assert not missing, f"{response.request.path} lacks {missing}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path", ["/login", "/no-such-page", "/api/v1/me", "/api/v1/openapi.json", SOCKET_HANDSHAKE]
)
def test_every_kind_of_response_carries_the_headers(client, db, path):
    assert_secured(client.get(path))


def test_the_socket_endpoint_is_not_cached(client, db):
    response = client.get(SOCKET_HANDSHAKE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/profile", "/workspaces/", "/no-such-page"])
def test_signed_in_pages_are_not_stored(client, db, path):
    login(client, make_user("officer"))
    response = client.get(path)
    assert_secured(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable_for_signed_in_people(client, db):
    login(client, make_user("officer"))
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_is_off_by_default_and_sent_everywhere_when_configured(app, client, db, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 31536000)
    for path in ("/login", "/api/v1/me", SOCKET_HANDSHAKE):
        header = client.get(path).headers["Strict-Transport-Security"]
        assert header == "max-age=31536000; includeSubDomains"
