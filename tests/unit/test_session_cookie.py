"""The session cookie is remembered once verified, and refused as Flask refuses it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import request

from app.accounts import session_cookie
from app.accounts.session_cookie import RememberingSessionInterface

pytestmark = pytest.mark.one_pass("sqlite")


def _open(app, interface, cookie: str):
    name = interface.get_cookie_name(app)
    with app.test_request_context("/", headers={"Cookie": f"{name}={cookie}"}):
        return interface.open_session(app, request)


def _signed(app, interface, data: dict) -> str:
    return interface.get_signing_serializer(app).dumps(data)


def test_a_verified_cookie_opens_the_same_session_again(app):
    interface = RememberingSessionInterface()
    cookie = _signed(app, interface, {"_user_id": "7:1:key", "_fresh": True})
    first = _open(app, interface, cookie)
    assert dict(first) == {"_user_id": "7:1:key", "_fresh": True}
    first["_user_id"] = "changed"
    again = _open(app, interface, cookie)
    assert dict(again) == {"_user_id": "7:1:key", "_fresh": True}
    assert not again.modified


def test_a_changed_cookie_is_refused_though_its_original_was_remembered(app):
    interface = RememberingSessionInterface()
    cookie = _signed(app, interface, {"_user_id": "7:1:key"})
    _open(app, interface, cookie)
    payload, rest = cookie.split(".", 1)
    forged = _signed(app, interface, {"_user_id": "8:1:key"}).split(".", 1)[0] + "." + rest
    assert dict(_open(app, interface, forged)) == {}
    assert dict(_open(app, interface, cookie + "x")) == {}


def test_a_remembered_cookie_past_its_lifetime_is_refused(app, monkeypatch):
    interface = RememberingSessionInterface()
    cookie = _signed(app, interface, {"_user_id": "7:1:key"})
    assert dict(_open(app, interface, cookie)) == {"_user_id": "7:1:key"}
    lifetime = app.permanent_session_lifetime
    later = session_cookie.time.time() + lifetime.total_seconds() + 2
    monkeypatch.setattr(session_cookie.time, "time", lambda: later)
    assert dict(_open(app, interface, cookie)) == {}
    earlier = later - lifetime.total_seconds() - 3600
    monkeypatch.setattr(session_cookie.time, "time", lambda: earlier)
    assert dict(_open(app, interface, cookie)) == {}  # signed in the future


def test_a_cookie_signed_with_another_key_is_refused_though_remembered(app, monkeypatch):
    interface = RememberingSessionInterface()
    cookie = _signed(app, interface, {"_user_id": "7:1:key"})
    _open(app, interface, cookie)
    monkeypatch.setattr(app, "secret_key", "another key entirely")
    assert dict(_open(app, interface, cookie)) == {}


def test_a_session_holding_a_list_is_not_remembered(app):
    interface = RememberingSessionInterface()
    cookie = _signed(app, interface, {"_flashes": [("success", "Saved.")]})
    first = _open(app, interface, cookie)
    first["_flashes"].append(("error", "Changed in place."))
    assert dict(_open(app, interface, cookie)) == {"_flashes": [("success", "Saved.")]}


def test_the_app_opens_its_sessions_with_the_remembering_interface(app):
    assert isinstance(app.session_interface, RememberingSessionInterface)
    assert app.permanent_session_lifetime > timedelta(0)


def test_without_a_cookie_the_session_is_new_and_without_a_key_there_is_none(app, monkeypatch):
    interface = RememberingSessionInterface()
    with app.test_request_context("/"):
        assert dict(interface.open_session(app, request)) == {}
        monkeypatch.setattr(app, "secret_key", None)
        assert interface.open_session(app, request) is None
