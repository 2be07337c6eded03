"""The notifications REST API, the notifications page and the bell in every page's header."""

from __future__ import annotations

import re

from app.extensions import db as _db
from app.notifications import service
from tests.conftest import csrf_token, login
from tests.factories import make_notification, make_user

API = "/api/v1"


def envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


# API --------------------------------------------------------------------------------------


def test_list_is_the_callers_own_notifications_with_an_unread_filter(client, db, make_token):
    owner = make_user("officer")
    unread = make_notification(owner, link="/workspaces/1")
    make_notification(owner, read=True)
    make_notification(make_user("officer"))
    headers = make_token(owner)
    body = client.get(f"{API}/notifications", headers=headers).get_json()
    assert body["total"] == 2
    assert set(body["items"][0]) == {
        "id",
        "kind",
        "subject",
        "text",
        "link",
        "read",
        "read_at",
        "created_at",
    }
    only_unread = client.get(f"{API}/notifications?unread=true", headers=headers).get_json()
    assert [n["id"] for n in only_unread["items"]] == [unread.id]
    assert only_unread["items"][0]["link"] == "/workspaces/1"


def test_list_needs_a_token(client, db):
    envelope(client.get(f"{API}/notifications"), 401, "unauthorized")


def test_list_statement_count_does_not_grow(client, db, count_queries, make_token):
    owner = make_user("officer")
    headers = make_token(owner)
    client.get(f"{API}/notifications", headers=headers)

    def statements() -> int:
        _db.session.expire_all()
        with count_queries() as counter:
            client.get(f"{API}/notifications?per_page=50", headers=headers)
        return counter.count

    make_notification(owner)
    few = statements()
    for _ in range(9):
        make_notification(owner)
    assert statements() == few


def test_mark_some_read_then_all(client, db, make_token):
    owner = make_user("officer")
    first, second, third = (make_notification(owner) for _ in range(3))
    headers = make_token(owner)
    body = client.post(
        f"{API}/notifications/read", json={"ids": [first.id, second.id]}, headers=headers
    ).get_json()
    assert body == {"marked": 2, "unread": 1}
    body = client.post(f"{API}/notifications/read", json={"all": True}, headers=headers)
    assert body.get_json() == {"marked": 1, "unread": 0}


def test_marking_someone_elses_notification_is_404_and_changes_nothing(client, db, make_token):
    owner = make_user("officer")
    snoop = make_user("officer")
    mine = make_notification(snoop)
    theirs = make_notification(owner)
    response = client.post(
        f"{API}/notifications/read", json={"ids": [mine.id, theirs.id]}, headers=make_token(snoop)
    )
    envelope(response, 404, "not_found")
    _db.session.expire_all()
    assert mine.read_at is None and theirs.read_at is None


def test_mark_read_needs_ids_or_all_but_not_both(client, db, make_token):
    headers = make_token(make_user("officer"))
    for payload in ({}, {"ids": []}, {"all": False}, {"ids": [1], "all": True}, {"ids": ["x"]}):
        envelope(client.post(f"{API}/notifications/read", json=payload, headers=headers), 422)


def test_marking_read_from_the_browser_needs_the_csrf_header(client, db):
    owner = make_user("officer")
    notification = make_notification(owner)
    login(client, owner)
    payload = {"ids": [notification.id]}
    envelope(client.post(f"{API}/notifications/read", json=payload), 400, "csrf")
    token = csrf_token(client, "/notifications/")
    response = client.post(
        f"{API}/notifications/read", json=payload, headers={"X-CSRFToken": token}
    )
    assert response.get_json() == {"marked": 1, "unread": 0}


def test_notification_events_are_the_callers_own_stream(client, db, make_token):
    owner = make_user("officer")
    service.notify([owner], "test", "First", "First.")
    service.notify([make_user("officer")], "test", "Theirs", "Theirs.")
    service.notify([owner], "test", "Second", "Second.")
    headers = make_token(owner)
    body = client.get(f"{API}/notifications/events?after=1", headers=headers).get_json()
    assert body["last_seq"] == 2
    assert [(e["seq"], e["type"], e["data"]["subject"]) for e in body["items"]] == [
        (2, "notification.created", "Second")
    ]
    assert body["items"][0]["stream"] == f"user:{owner.id}"


def test_notification_events_work_with_the_browser_session(client, db):
    owner = make_user("officer")
    service.notify([owner], "test", "First", "First.")
    login(client, owner)
    body = client.get(f"{API}/notifications/events?after=0").get_json()
    assert [e["data"]["unread"] for e in body["items"]] == [1]


# The page and the bell --------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_and_its_stream(client, db):
    owner = make_user("officer")
    service.notify([owner], "test", "First", "First.")
    service.notify([owner], "test", "Second", "Second.")
    login(client, owner)
    html = client.get("/").get_data(as_text=True)
    bell = re.search(r'<a class="bell"[^>]*>', html).group(0)
    assert f'data-live-stream="user:{owner.id}"' in bell
    assert 'data-last-seq="2"' in bell
    assert 'data-catch-up-url="/api/v1/notifications/events"' in bell
    assert 'aria-label="Notifications, 2 unread"' in bell
    assert '<span class="bell-count" data-unread="2">2</span>' in html


def test_signed_out_pages_have_no_bell(client, db):
    assert 'class="bell"' not in client.get("/login").get_data(as_text=True)


def test_notifications_page_lists_filters_and_marks_read(client, db):
    owner = make_user("officer")
    first = make_notification(owner, subject="Invitation to Flood response", link="/workspaces/7")
    make_notification(owner, subject="Old news", read=True)
    login(client, owner)
    html = client.get("/notifications/").get_data(as_text=True)
    assert f'action="/notifications/{first.id}/open"' in html
    assert "Invitation to Flood response</button>" in html
    assert "Old news" in html and "Mark all read" in html
    html = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "Old news" not in html
    token = csrf_token(client, "/notifications/")
    response = client.post(f"/notifications/{first.id}/read?unread=1", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications/?unread=1")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing unread." in html and "Marked read." in html


def test_mark_all_read_from_the_page(client, db):
    owner = make_user("officer")
    for _ in range(3):
        make_notification(owner)
    login(client, owner)
    token = csrf_token(client, "/notifications/")
    response = client.post("/notifications/read-all", data={"csrf_token": token})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 notifications marked read." in html
    assert service.unread_count(owner) == 0


def test_marking_someone_elses_notification_from_the_page_is_not_found(client, db):
    owner = make_user("officer")
    theirs = make_notification(make_user("officer"))
    login(client, owner)
    token = csrf_token(client, "/notifications/")
    response = client.post(f"/notifications/{theirs.id}/read", data={"csrf_token": token})
    assert response.status_code == 404
    _db.session.expire_all()
    assert theirs.read_at is None


def test_empty_notifications_page_says_what_will_appear(client, db):
    login(client, make_user("officer"))
    html = client.get("/notifications/").get_data(as_text=True)
    assert "No notifications yet." in html
