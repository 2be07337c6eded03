"""Sockets obey the Origin: a page of another origin cannot open one with a visitor's cookie.

Engine.IO checks the Origin of the handshake before any Socket.IO handler runs, so the
check is exercised with the polling handshake itself, through Flask's test client.
"""

from __future__ import annotations

import pytest

from app.extensions import socketio
from tests.conftest import login
from tests.factories import make_user

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"
OWN_ORIGIN = "http://bridgework.test"


def handshake(client, origin: str | None):
    headers = {"Origin": origin} if origin else {}
    return client.get(HANDSHAKE, headers=headers)


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://bridgework.test.evil.example", "https://bridgework.test"],
)
def test_a_socket_from_a_foreign_origin_is_refused(client, db, origin):
    login(client, make_user("officer"))
    response = handshake(client, origin)
    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_socket_from_the_apps_own_origin_is_accepted(client, db):
    login(client, make_user("officer"))
    response = handshake(client, OWN_ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_data(as_text=True).startswith("0{")  # the Engine.IO open packet
    assert response.headers["Access-Control-Allow-Origin"] == OWN_ORIGIN


def test_clients_that_send_no_origin_are_not_refused_for_it(client, db):
    assert handshake(client, None).status_code == 200


def test_an_allow_list_admits_the_origins_it_names(app, client, db, monkeypatch):
    monkeypatch.setattr(socketio.server.eio, "cors_allowed_origins", ["https://portal.gov.example"])
    assert handshake(client, "https://portal.gov.example").status_code == 200
    assert handshake(client, "https://evil.example").status_code == 400


def test_the_allow_list_comes_from_the_setting(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("SOCKETIO_CORS_ORIGINS", "https://a.gov.example, https://b.gov.example")
    assert load_config()["SOCKETIO_CORS_ORIGINS"] == [
        "https://a.gov.example",
        "https://b.gov.example",
    ]
