"""Who may open a socket, and what happens to it when their access ends."""

from __future__ import annotations

import logging

from flask import g

from app.accounts import service as accounts
from app.extensions import db
from app.realtime import publish
from tests.conftest import login
from tests.factories import make_user


def test_unauthenticated_connection_is_refused(client, connect_socket):
    socket = connect_socket(flask_client=client)
    assert not socket.connected


def test_refused_connection_is_not_logged_as_a_server_error(client, connect_socket, caplog):
    """A refusal is an answer to the client (with its reason), not a fault of the server."""
    caplog.set_level(logging.INFO, logger="app.realtime")
    socket = connect_socket(flask_client=client)
    assert not socket.connected
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_connection_with_a_bad_token_is_refused(client, connect_socket):
    socket = connect_socket(flask_client=client, auth={"token": "bw_nothing_here"})
    assert not socket.connected


def test_connection_with_a_non_string_token_is_refused(client, connect_socket):
    socket = connect_socket(flask_client=client, auth={"token": 12})
    assert not socket.connected


def test_signed_in_browser_session_connects(client, connect_socket):
    user = make_user("officer")
    login(client, user)
    socket = connect_socket(flask_client=client)
    assert socket.connected


def test_api_token_connects_without_a_session(connect_socket, token_auth):
    user = make_user("officer")
    socket = connect_socket(auth=token_auth(user))
    assert socket.connected


def test_token_of_a_deactivated_user_is_refused(connect_socket, token_auth):
    user = make_user("officer")
    auth = token_auth(user)
    user.active = False
    db.session.commit()
    socket = connect_socket(auth=auth)
    assert not socket.connected


def test_connected_socket_receives_its_users_stream_without_subscribing(connect_socket, token_auth):
    user = make_user("officer")
    socket = connect_socket(auth=token_auth(user))
    socket.received()
    publish(f"user:{user.id}", "notification.created", {"text": "Hello", "unread": 1})
    db.session.commit()
    assert [m["type"] for m in socket.events(f"user:{user.id}")] == ["notification.created"]


def test_deactivated_user_is_disconnected_at_once(connect_socket, token_auth, client):
    admin = make_user("admin")
    user = make_user("officer")
    by_token = connect_socket(auth=token_auth(user))
    login(client, user)
    by_session = connect_socket(flask_client=client)
    bystander = connect_socket(auth=token_auth(make_user("officer")))
    assert by_token.connected and by_session.connected

    accounts.set_user_active(admin, user.id, False)

    assert not by_token.connected
    assert not by_session.connected
    assert bystander.connected


def test_revoked_token_disconnects_its_sockets_at_once(connect_socket, token_auth):
    user = make_user("officer")
    token, secret = accounts.create_token(user, name="ws")
    socket = connect_socket(auth={"token": secret})
    other = connect_socket(auth=token_auth(user))
    assert socket.subscribe(f"user:{user.id}")["ok"] is True

    accounts.revoke_token(user, token.id)

    assert not socket.connected
    assert other.connected, "the user's other token keeps its socket"


def test_password_change_ends_the_session_socket_at_once(client, connect_socket):
    from tests.factories import PASSWORD

    user = make_user("officer")
    login(client, user)
    socket = connect_socket(flask_client=client)
    assert socket.subscribe(f"user:{user.id}")["ok"] is True

    accounts.change_password(user, PASSWORD, "a-brand-new-passphrase-42")

    assert not socket.connected


def test_signing_out_ends_that_sessions_sockets_at_once_and_the_cookie_connects_no_more(
    app, client, connect_socket
):
    """Finding 3 of issue 14: an open socket kept receiving, and the old cookie reconnected."""
    from tests.conftest import csrf_token

    user = make_user("officer")
    login(client, user)
    kept_cookie = client.get_cookie("session", domain="bridgework.test").value
    socket = connect_socket(flask_client=client)
    other_browser = app.test_client()
    login(other_browser, user)
    # The suite's requests share one application context: forget the user Flask-Login
    # remembered there, so the handshake reads the other browser's cookie.
    g.pop("_login_user", None)
    other_socket = connect_socket(flask_client=other_browser)
    assert socket.subscribe(f"user:{user.id}")["ok"] is True
    assert other_socket.connected

    client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})

    assert not socket.connected
    assert other_socket.connected, "the user's other browser stays signed in"
    client.set_cookie("session", kept_cookie, domain="bridgework.test")
    g.pop("_login_user", None)  # the handshake reads the kept cookie, as a new request would
    assert not connect_socket(flask_client=client).connected


def test_password_change_stops_sockets_of_its_revoked_tokens_at_once(connect_socket):
    """Finding 5 of issue 14: tokens, and their sockets, outlived a password change."""
    from tests.factories import PASSWORD

    user = make_user("officer")
    _token, secret = accounts.create_token(user, name="ws")
    socket = connect_socket(auth={"token": secret})
    assert socket.connected

    accounts.change_password(user, PASSWORD, "a-brand-new-passphrase-42")

    assert not socket.connected


def test_an_admin_signing_a_user_out_closes_their_session_sockets_at_once(
    client, connect_socket, token_auth
):
    user, admin = make_user("officer"), make_user("admin", "officer")
    login(client, user)
    session_socket = connect_socket(flask_client=client)
    token_socket = connect_socket(auth=token_auth(user))
    assert session_socket.connected

    accounts.end_user_sessions(admin, user.id)

    assert not session_socket.connected
    assert token_socket.connected, "API tokens are not sessions"


def test_periodic_recheck_disconnects_sockets_whose_token_expired(connect_socket):
    """No action announces a token running out of time: the sweep finds it."""
    from app.common import utcnow
    from app.realtime.rooms import recheck_subscriptions

    user, other = make_user("officer"), make_user("officer")
    token, secret = accounts.create_token(user, name="ws")
    _other_token, other_secret = accounts.create_token(other, name="ws")
    revoked = connect_socket(auth={"token": secret})
    kept = connect_socket(auth={"token": other_secret})
    token.expires_at = utcnow()
    db.session.commit()

    assert recheck_subscriptions() >= 1

    assert not revoked.connected
    assert kept.connected
