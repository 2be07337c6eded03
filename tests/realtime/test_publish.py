"""Events are stored with contiguous sequence numbers and emitted only after commit."""

from __future__ import annotations

from app.extensions import db
from app.realtime import after_commit, events_after, last_seq, publish, publishing_together
from tests.factories import make_user


def test_after_commit_callbacks_run_on_commit_and_are_dropped_on_rollback(db):
    ran = []
    after_commit(ran.append, "kept")
    db.session.commit()
    after_commit(ran.append, "dropped")
    db.session.rollback()
    db.session.commit()
    assert ran == ["kept"]


def test_published_events_get_contiguous_numbers_per_stream(db):
    publish("workspace:1", "workspace.updated", {"text": "a"})
    publish("workspace:2", "workspace.updated", {"text": "b"})
    publish("workspace:1", "workspace.updated", {"text": "c"})
    db.session.commit()
    assert [e.seq for e in events_after("workspace:1", 0)] == [1, 2]
    assert [e.seq for e in events_after("workspace:2", 0)] == [1]
    assert last_seq("workspace:1") == 2
    assert last_seq("workspace:9") == 0


def test_events_after_returns_only_what_followed(db):
    for n in range(5):
        publish("workspace:3", "workspace.updated", {"text": str(n)})
    db.session.commit()
    assert [e.payload["text"] for e in events_after("workspace:3", 3)] == ["3", "4"]


def test_event_reaches_a_subscriber_only_after_commit(connect_socket, token_auth):
    user = make_user("officer")
    socket = connect_socket(auth=token_auth(user))
    stream = f"user:{user.id}"
    assert socket.subscribe(stream) == {"ok": True, "last_seq": 0}
    socket.received()

    publish(stream, "notification.created", {"text": "one", "unread": 1})
    assert socket.events(stream) == []
    db.session.commit()

    [message] = socket.events(stream)
    assert message["seq"] == 1
    assert message["type"] == "notification.created"
    assert message["data"] == {"text": "one", "unread": 1}
    assert message["at"].endswith("Z")


def test_rolled_back_change_emits_nothing_and_stores_nothing(connect_socket, token_auth):
    user = make_user("officer")
    db.session.commit()
    socket = connect_socket(auth=token_auth(user))
    stream = f"user:{user.id}"
    socket.received()

    publish(stream, "notification.created", {"text": "never", "unread": 1})
    db.session.rollback()
    db.session.commit()

    assert socket.events() == []
    assert events_after(stream, 0) == []
    assert last_seq(stream) == 0


def test_subscribe_answers_the_streams_last_sequence_number(connect_socket, token_auth):
    user = make_user("officer")
    stream = f"user:{user.id}"
    publish(stream, "notification.created", {"text": "a", "unread": 1})
    publish(stream, "notification.created", {"text": "b", "unread": 2})
    db.session.commit()
    socket = connect_socket(auth=token_auth(user))
    assert socket.subscribe(stream) == {"ok": True, "last_seq": 2}


def test_events_published_together_take_two_statements_and_stay_contiguous(db, count_queries):
    publish("workspace:4", "workspace.updated", {"text": "before"})
    db.session.commit()
    with count_queries() as counter:
        with publishing_together():
            publish("workspace:4", "workspace.updated", {"text": "a"})
            publish("user:9", "notification.created", {"text": "b"})
            publish("workspace:4", "workspace.updated", {"text": "c"})
    assert counter.count == 2, counter.statements
    db.session.commit()
    assert [(e.seq, e.payload["text"]) for e in events_after("workspace:4", 0)] == [
        (1, "before"),
        (2, "a"),
        (3, "c"),
    ]
    assert [e.seq for e in events_after("user:9", 0)] == [1]
    assert last_seq("workspace:4") == 3


def test_a_block_left_by_an_exception_stores_nothing(db):
    class Refused(Exception):
        pass

    try:
        with publishing_together():
            publish("workspace:5", "workspace.updated", {"text": "never"})
            raise Refused
    except Refused:
        pass
    db.session.commit()
    assert events_after("workspace:5", 0) == []
    assert last_seq("workspace:5") == 0
