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


# Paging by key ------------------------------------------------------------------------------


def _many(owner, count: int) -> list[int]:
    """``count`` notifications of ``owner``, the even-numbered ones read; ids oldest first."""
    return [
        make_notification(owner, subject=f"Notice {n}", read=n % 2 == 0).id for n in range(count)
    ]


def test_api_pages_by_cursor_from_the_newest_to_the_oldest_and_back(client, db, make_token):
    owner = make_user("officer")
    ids = _many(owner, 7)
    make_notification(make_user("officer"))  # someone else's: never on these pages
    headers = make_token(owner)
    newest_first = list(reversed(ids))

    first = client.get(f"{API}/notifications?per_page=3", headers=headers).get_json()
    assert [n["id"] for n in first["items"]] == newest_first[:3]
    assert first["prev_cursor"] is None and first["next_cursor"] == f"before:{newest_first[2]}"
    assert first["total"] == 7 and first["total_capped"] is False

    middle = client.get(
        f"{API}/notifications?per_page=3&cursor={first['next_cursor']}", headers=headers
    ).get_json()
    assert [n["id"] for n in middle["items"]] == newest_first[3:6]
    assert middle["prev_cursor"] == f"after:{newest_first[3]}"

    last = client.get(
        f"{API}/notifications?per_page=3&cursor={middle['next_cursor']}", headers=headers
    ).get_json()
    assert [n["id"] for n in last["items"]] == newest_first[6:]
    assert last["next_cursor"] is None

    back = client.get(
        f"{API}/notifications?per_page=3&cursor={middle['prev_cursor']}", headers=headers
    ).get_json()
    assert [n["id"] for n in back["items"]] == newest_first[:3]
    assert back["prev_cursor"] is None


def test_api_cursor_keeps_the_unread_filter(client, db, make_token):
    owner = make_user("officer")
    ids = _many(owner, 6)
    unread_newest_first = [i for n, i in reversed(list(enumerate(ids))) if n % 2]
    headers = make_token(owner)
    first = client.get(f"{API}/notifications?unread=true&per_page=2", headers=headers).get_json()
    assert [n["id"] for n in first["items"]] == unread_newest_first[:2]
    rest = client.get(
        f"{API}/notifications?unread=true&per_page=2&cursor={first['next_cursor']}",
        headers=headers,
    ).get_json()
    assert [n["id"] for n in rest["items"]] == unread_newest_first[2:]
    assert rest["next_cursor"] is None and rest["total"] == 3


def test_api_bad_cursor_is_a_400_envelope(client, db, make_token):
    headers = make_token(make_user("officer"))
    for cursor in ("older", "before:", "before:-1", "before:0", "sideways:5", "before:1x"):
        response = client.get(f"{API}/notifications?cursor={cursor}", headers=headers)
        envelope(response, 400, "bad_request")


def test_api_count_stops_at_the_cap(client, db, make_token, monkeypatch):
    from app import common

    monkeypatch.setattr(common, "COUNT_CAP", 4)
    owner = make_user("officer")
    _many(owner, 6)
    body = client.get(f"{API}/notifications?per_page=2", headers=make_token(owner)).get_json()
    assert body["total"] == 4 and body["total_capped"] is True


def test_openapi_documents_the_notifications_cursor(client, db):
    spec = client.get(f"{API}/openapi.json").get_json()
    operation = spec["paths"][f"{API}/notifications"]["get"]
    assert "cursor" in {parameter["name"] for parameter in operation["parameters"]}
    listed = operation["responses"]["200"]["content"]["application/json"]["schema"]
    text = str(listed)
    assert "next_cursor" in text and "total_capped" in text


def _pager_links(html: str) -> dict[str, str]:
    """The pager's links by their visible text: plain links, so reachable by keyboard."""
    pager = re.search(r'<nav class="pager".*?</nav>', html, re.S)
    assert pager, "no pager on the page"
    return {
        text.strip(): href.replace("&amp;", "&")
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', pager.group(0))
    }


def test_page_links_older_and_newer_by_cursor(client, db):
    owner = make_user("officer")
    ids = _many(owner, 30)
    login(client, owner)
    first = client.get("/notifications/").get_data(as_text=True)
    assert "Notice 29" in first and "Notice 4" not in first
    links = _pager_links(first)
    assert set(links) == {"Older →"}
    assert links["Older →"] == f"/notifications/?cursor=before:{ids[5]}"
    older = client.get(links["Older →"]).get_data(as_text=True)
    assert "Notice 4" in older and "Notice 0" in older and "Notice 5" not in older
    links = _pager_links(older)
    assert set(links) == {"« Newest", "← Newer"}
    assert links["← Newer"] == f"/notifications/?cursor=after:{ids[4]}"
    assert "Notice 29" in client.get(links["← Newer"]).get_data(as_text=True)


def test_page_marks_read_and_returns_to_the_same_page(client, db):
    owner = make_user("officer")
    ids = _many(owner, 30)
    login(client, owner)
    cursor = f"before:{ids[5]}"
    token = csrf_token(client, "/notifications/")
    response = client.post(
        f"/notifications/{ids[3]}/read?cursor={cursor}", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/notifications/?cursor={cursor}")


def test_page_with_a_bad_cursor_says_so_and_links_to_the_newest(client, db):
    owner = make_user("officer")
    _many(owner, 3)
    login(client, owner)
    response = client.get("/notifications/?unread=1&cursor=before:nonsense")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "This page link is not valid" in html
    assert 'href="/notifications/?unread=1">Go to the newest notifications</a>' in html


def test_page_past_the_oldest_says_nothing_is_further_back(client, db):
    owner = make_user("officer")
    ids = _many(owner, 3)
    login(client, owner)
    html = client.get(f"/notifications/?cursor=before:{ids[0]}").get_data(as_text=True)
    assert "Nothing further back." in html and "No notifications yet." not in html
