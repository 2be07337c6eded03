"""JSON the database wrote reaches the answer unchanged, and means what Python would write."""

from __future__ import annotations

import json
from datetime import datetime

from flask import jsonify

from app.jsontext import JsonText
from app.realtime import catch_up, encoded_messages_after, last_seq, messages_after, publish
from app.realtime.models import Event


def _as_value(items):
    return items.value() if isinstance(items, JsonText) else items


def test_an_encoded_catch_up_is_the_same_messages_as_the_python_one(db):
    payloads = [
        {"text": "Road closed: 大埔道", "actor": "Lam", "n": 1, "ok": True, "none": None},
        {"text": 'Quotes " and \\ back\\slash\nnew line', "nested": {"list": [1, 2.5, "x"]}},
        {},
    ]
    for payload in payloads:
        publish("workspace:41", "workspace.updated", payload)
    db.session.flush()
    stamps = [datetime(2026, 11, 30, 8, 0, 0), datetime(2026, 11, 30, 8, 0, 0, 120), None]
    stored = db.session.scalars(
        db.select(Event).where(Event.stream == "workspace:41").order_by(Event.seq)
    )
    for event, stamp in zip(stored, stamps, strict=True):
        if stamp is not None:
            event.created_at = stamp  # a whole second, then a fraction of one
    db.session.commit()

    for after in (0, 1, 3):
        encoded = encoded_messages_after("workspace:41", after)
        assert _as_value(encoded) == messages_after("workspace:41", after)
    assert _as_value(encoded_messages_after("workspace:41", 0))[0]["at"] == "2026-11-30T08:00:00Z"
    assert _as_value(encoded_messages_after("workspace:41", 0, limit=2))[1]["at"] == (
        "2026-11-30T08:00:00.000120Z"
    )
    assert _as_value(encoded_messages_after("workspace:404", 0)) == []


def test_a_catch_up_answers_the_messages_and_last_seq_in_one_statement(db, count_queries):
    for n in range(4):
        publish("workspace:42", "workspace.updated", {"text": f"change {n}", "actor": "Lam"})
    db.session.commit()

    for after in (0, 2, 4, 9):
        with count_queries() as counted:
            answer = catch_up("workspace:42", after)
        assert counted.count == 1
        assert _as_value(answer["items"]) == messages_after("workspace:42", after)
        assert answer["last_seq"] == last_seq("workspace:42") == 4
    assert _as_value(catch_up("workspace:42", -3)["items"]) == messages_after("workspace:42", 0)
    never = catch_up("workspace:43", 0)
    assert (_as_value(never["items"]), never["last_seq"]) == ([], 0)


def test_json_text_is_written_as_it_is_and_the_rest_as_flask_writes_it(app):
    piece = JsonText('[{"b" : 1, "a" : "\\u5927"}]')
    with app.test_request_context():
        body = jsonify({"z": piece, "a": ["\0", piece], "text": '"\\u0000x:0\\u0000"'})
        text = body.get_data(as_text=True)
    assert text.count('[{"b" : 1, "a" : "\\u5927"}]') == 2
    assert json.loads(text) == {
        "a": ["\0", [{"b": 1, "a": "大"}]],
        "text": '"\\u0000x:0\\u0000"',
        "z": [{"b": 1, "a": "大"}],
    }
