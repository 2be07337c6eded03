"""Messages that services raise, and live text they build, in the reader's language.

A refusal is translated in the language of the request that caused it (API envelope and
form errors alike); live text (feed lines, notifications) is stored in every language and
each reader gets their own, whatever the actor's language was.
"""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l

from app.actions import render_texts
from app.extensions import db as _db
from app.notifications.models import Notification
from app.realtime import events_after
from app.workspaces import service
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.workspace_world import flood_world

API = "/api/v1"


@pytest.fixture
def w(db):
    return flood_world()


@pytest.mark.parametrize(
    ("accept_language", "message", "field"),
    [
        ("en", "The workspace was not created.", "Give the workspace a name."),
        ("zh-HK", "未能建立工作區。", "請為工作區命名。"),
        ("zh-CN", "未能创建工作区。", "请为工作区命名。"),
    ],
)
def test_api_refusal_envelope_is_in_the_callers_language(
    client, w, make_token, accept_language, message, field
):
    headers = {**make_token(w.lead), "Accept-Language": accept_language}
    body = {"name": " ", "purpose": "Share readings.", "ends_on": "2099-01-01"}
    response = client.post(f"{API}/workspaces", json=body, headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["message"] == message
    assert error["fields"]["name"] == [field]


def test_a_saved_language_wins_for_api_refusals(client, w, make_token):
    w.lead.locale = "zh_Hans"
    _db.session.commit()
    response = client.get(
        f"{API}/workspaces/999999", headers={**make_token(w.lead), "Accept-Language": "en"}
    )
    assert response.get_json()["error"]["message"] == "找不到该工作区。"


def test_sign_in_refusal_is_in_the_browsers_language(client, db):
    user = make_user("officer")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"username": user.username, "password": "not-the-password", "csrf_token": token},
        headers={"Accept-Language": "zh-TW"},
    )
    assert "用戶名稱或密碼不正確。" in response.get_data(as_text=True)


def test_form_errors_from_a_service_are_in_the_readers_language(client, w):
    w.lead.locale = "zh_Hant"
    _db.session.commit()
    login(client, w.lead)
    response = client.post(
        f"/workspaces/{w.id}/members",
        data={
            "user_id": str(w.td_officer.id),
            "role": "member",
            "expires_on": "2001-01-01",
            "csrf_token": csrf_token(client, f"/workspaces/{w.id}"),
        },
        follow_redirects=True,
    )
    assert "屆滿日期必須為將來的日期。" in response.get_data(as_text=True)


# Live text ----------------------------------------------------------------------------------


def test_render_texts_renders_lazy_strings_and_pairs_in_every_language(app):
    with app.test_request_context(headers={"Accept-Language": "zh-HK"}):
        lazy = _l("%(actor)s removed %(member)s", actor="Ann", member="Bo")
        pair = ("%(actor)s removed %(member)s", {"actor": "Ann", "member": "Bo"})
        expected = {"en": "Ann removed Bo", "zh_Hant": "Ann 移除了Bo", "zh_Hans": "Ann 移除了Bo"}
        assert render_texts(lazy) == expected
        assert render_texts(pair) == expected
        assert render_texts("plain") == {"en": "plain", "zh_Hant": "plain", "zh_Hans": "plain"}


def test_feed_events_carry_every_language_and_english_text(app, w):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        service.add_member(w.lead, w.id, user_id=w.td_officer.id, role="observer")
    event = events_after(f"workspace:{w.id}", 0)[-1]
    assert event.payload["text"].endswith("as observer")
    assert event.payload["texts"]["en"] == event.payload["text"]
    assert event.payload["texts"]["zh_Hant"].endswith("加入為觀察員")
    assert event.payload["texts"]["zh_Hans"].endswith("添加为观察员")


def test_each_reader_sees_the_feed_and_notifications_in_their_own_language(client, w, make_token):
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        service.add_member(w.lead, w.id, user_id=w.td_officer.id, role="member")
    w.td_officer.locale = "zh_Hans"
    _db.session.commit()
    login(client, w.td_officer)
    feed = client.get(f"/workspaces/{w.id}").get_data(as_text=True)
    assert "添加为成员" in feed
    notices = client.get("/notifications/").get_data(as_text=True)
    assert "您已被添加到Flood response: Typhoon season 2026" in notices
    stored = _db.session.query(Notification).filter_by(user_id=w.td_officer.id).one()
    assert stored.subject == "You were added to Flood response: Typhoon season 2026"
    w.td_officer.locale = None
    _db.session.commit()
    headers = {**make_token(w.td_officer), "Accept-Language": "zh-HK"}
    listed = client.get(f"{API}/notifications", headers=headers).get_json()["items"]
    assert listed[0]["subject"] == "你已獲加入Flood response: Typhoon season 2026"


def test_pushed_notifications_carry_every_language(app, w):
    with app.test_request_context():
        service.add_member(w.lead, w.id, user_id=w.td_officer.id)
    pushed = events_after(f"user:{w.td_officer.id}", 0)[-1]
    assert pushed.type == "notification.created"
    assert pushed.payload["subjects"]["zh_Hant"].startswith("你已獲加入")
    assert pushed.payload["texts"]["zh_Hans"].endswith("角色为成员。")
