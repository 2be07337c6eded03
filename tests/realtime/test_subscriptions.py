"""Subscribing: stream names are parsed strictly and policy is asked every time."""

from __future__ import annotations

import pytest

from tests.factories import make_user


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "workspace:1",
        {},
        {"stream": ""},
        {"stream": 5},
        {"stream": "workspace"},
        {"stream": "workspace:"},
        {"stream": "workspace:0"},
        {"stream": "workspace:-3"},
        {"stream": "workspace:1:2"},
        {"stream": "workspace:01"},
        {"stream": "Workspace:1"},
        {"stream": "rooms:1"},
        {"stream": "case:1 "},
        {"stream": "user:" + "9" * 30},
    ],
)
def test_malformed_or_unknown_stream_is_invalid(connect_socket, token_auth, payload):
    socket = connect_socket(auth=token_auth(make_user("officer")))
    ack = socket.raw.emit("subscribe", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid"
    assert socket.connected


def test_a_stream_id_past_the_id_columns_is_invalid_and_the_socket_carries_on(
    connect_socket, token_auth
):
    """Loose end of issue 14: PostgreSQL refused the lookup and broke the next subscribe."""
    user = make_user("officer")
    socket = connect_socket(auth=token_auth(user))
    for stream in ("workspace:999999999999999999", f"user:{2**31}"):
        ack = socket.subscribe(stream)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert socket.subscribe(f"user:{user.id}") == {"ok": True, "last_seq": 0}


def test_a_failing_socket_handler_rolls_the_database_session_back(
    connect_socket, token_auth, monkeypatch
):
    from sqlalchemy import text

    from app.extensions import db
    from app.realtime import rooms

    user = make_user("officer")
    socket = connect_socket(auth=token_auth(user))

    def failing_subscribe(sid, stream):
        db.session.execute(text("SELECT 1"))
        raise RuntimeError("the database went away mid-statement")

    rollbacks = []
    real_rollback = db.session.rollback
    monkeypatch.setattr(rooms, "subscribe", failing_subscribe)
    monkeypatch.setattr(db.session, "rollback", lambda: rollbacks.append(1) or real_rollback())
    ack = socket.subscribe(f"user:{user.id}")
    assert ack["ok"] is False and ack["error"]["code"] == "server_error"
    assert rollbacks
    monkeypatch.undo()
    assert socket.subscribe(f"user:{user.id}") == {"ok": True, "last_seq": 0}


def test_user_may_follow_their_own_notifications(connect_socket, token_auth):
    user = make_user("officer")
    socket = connect_socket(auth=token_auth(user))
    assert socket.subscribe(f"user:{user.id}") == {"ok": True, "last_seq": 0}


def test_user_may_not_follow_someone_elses_notifications(connect_socket, token_auth):
    user, other = make_user("officer"), make_user("admin")
    socket = connect_socket(auth=token_auth(user))
    ack = socket.subscribe(f"user:{other.id}")
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_unsubscribe_from_a_malformed_stream_is_invalid(connect_socket, token_auth):
    socket = connect_socket(auth=token_auth(make_user("officer")))
    ack = socket.unsubscribe("nonsense")
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"


def test_own_user_room_is_kept_after_unsubscribing_from_it(connect_socket, token_auth):
    from app.extensions import db
    from app.realtime import publish

    user = make_user("officer")
    socket = connect_socket(auth=token_auth(user))
    assert socket.unsubscribe(f"user:{user.id}") == {"ok": True}
    socket.received()
    publish(f"user:{user.id}", "notification.read", {"text": "read", "unread": 0})
    db.session.commit()
    assert len(socket.events()) == 1


def test_one_connection_follows_a_bounded_number_of_streams(
    connect_socket, token_auth, monkeypatch
):
    from app.realtime import rooms

    monkeypatch.setattr(rooms, "MAX_STREAMS_PER_SOCKET", 1)
    user = make_user("officer")
    socket = connect_socket(auth=token_auth(user))
    assert socket.subscribe(f"user:{user.id}")["ok"] is True
    assert socket.subscribe(f"user:{user.id}")["ok"] is True

    ack = socket.subscribe("workspace:1")

    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert "at most 1 streams" in ack["error"]["message"]
