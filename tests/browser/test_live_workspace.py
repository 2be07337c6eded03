"""People of different departments watch one workspace; what one does appears on the others'
pages without a reload, the bell counts live, and lost or late messages are caught up.

Each test sets up a workspace of its own through the REST API (led by Henry Wong of
Drainage Services, with Tom Cheung of the Transport Department as a member), so that the
demo's flood-response workspace stays as other tests expect it.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, timedelta

import pytest
import requests
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]

LIVE_TIMEOUT_MS = 5_000
EITB = "Economy and Information Technology Bureau"
_names = itertools.count(1)


class Api:
    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        response = requests.post(
            f"{base_url}/api/v1/tokens",
            json={"username": username, "password": DEMO_PASSWORD, "name": "browser test"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['token']}"}

    def call(self, method: str, path: str, json_body=None, expect_status: int = 200):
        response = requests.request(
            method,
            f"{self.base_url}/api/v1{path}",
            json=json_body,
            headers=self.headers,
            timeout=10,
        )
        assert response.status_code == expect_status, f"{method} {path}: {response.text}"
        return response.json() if response.content else None


def _department_id(api: Api, code: str) -> int:
    items = api.call("GET", f"/departments?search={code}&per_page=100")["items"]
    return next(item["id"] for item in items if item["code"] == code)


def _user_id(admin: Api, username: str) -> int:
    items = admin.call("GET", f"/users?search={username}&per_page=100")["items"]
    return next(item["id"] for item in items if item["username"] == username)


@pytest.fixture
def workspace(live_server) -> dict:
    """A fresh workspace: Henry Wong (DSD head) leads, Transport takes part, Tom Cheung is in."""
    henry, tina, admin = (Api(live_server, name) for name in ("dsd.head", "td.head", "admin"))
    transport = _department_id(henry, "TD")
    created = henry.call(
        "POST",
        "/workspaces",
        {
            "name": f"Landslide watch {next(_names)}",
            "purpose": "Share slope sensor alerts and road closures during heavy rain.",
            "ends_on": (date.today() + timedelta(days=60)).isoformat(),
        },
        expect_status=201,
    )
    workspace_id = created["id"]
    henry.call("POST", f"/workspaces/{workspace_id}/departments", {"department_id": transport}, 201)
    tina.call("POST", f"/workspaces/{workspace_id}/departments/{transport}/accept")
    tom = _user_id(admin, "td.officer")
    henry.call("POST", f"/workspaces/{workspace_id}/members", {"user_id": tom}, 201)
    return {
        "id": workspace_id,
        "path": f"/workspaces/{workspace_id}",
        "stream": f"workspace:{workspace_id}",
        "henry": henry,
        "eitb": _department_id(henry, "EITB"),
        "police": _department_id(henry, "HKPF"),
    }


def _record_errors(page) -> list[str]:
    """Script errors and console errors (a CSP refusal shows up there) of ``page``."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def _open_live(page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#live-status")).to_have_text("Live")
    page.evaluate("window.bridgeworkNotReloaded = true")


def _feed_texts(page) -> list[str]:
    return page.locator("ol.activity-feed li .text").all_inner_texts()


def _feed_seqs(page) -> list[int]:
    return [
        int(s)
        for s in page.locator("ol.activity-feed li[data-seq]").evaluate_all(
            "items => items.map(item => item.dataset.seq)"
        )
    ]


def _invite_through_the_page(page, department_id: int) -> None:
    page.get_by_label("Department to invite").select_option(value=str(department_id))
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("main")).to_be_visible()


def test_invitation_by_one_department_appears_live_for_another(new_page, workspace):
    henry = new_page("dsd.head")
    tom = new_page("td.officer")
    eduardo = new_page("eitb.head")
    errors = {"tom": _record_errors(tom), "eduardo": _record_errors(eduardo)}
    _open_live(tom, workspace["path"])
    _open_live(eduardo, "/")
    bell = eduardo.locator("a.bell")
    unread_before = int(bell.locator(".bell-count").inner_text())
    henry.goto(workspace["path"])

    _invite_through_the_page(henry, workspace["eitb"])

    invited = tom.locator("ol.activity-feed li .text", has_text=EITB)
    expect(invited).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(invited).to_contain_text("Henry Wong")
    newest = tom.locator("ol.activity-feed li").first
    # In the reader's language and time zone (Hong Kong), like the server-rendered lines.
    expect(newest.locator("time")).to_have_text(re.compile(r"^\w{3} \d{1,2}, \d{4}, \d{2}:\d{2}$"))
    expect(newest.locator("time")).to_have_attribute("datetime", re.compile(r"Z$"))
    expect(bell.locator(".bell-count")).to_have_text(
        str(unread_before + 1), timeout=LIVE_TIMEOUT_MS
    )
    expect(bell).to_have_attribute("aria-label", f"Notifications, {unread_before + 1} unread")
    assert tom.evaluate("window.bridgeworkNotReloaded") is True
    assert eduardo.evaluate("window.bridgeworkNotReloaded") is True
    assert errors == {"tom": [], "eduardo": []}


def test_member_added_by_one_lead_appears_on_every_open_page(new_page, workspace):
    tom = new_page("td.officer")
    _open_live(tom, workspace["path"])
    feed_before = len(_feed_texts(tom))
    henry = new_page("dsd.head")
    henry.goto(workspace["path"])
    henry.get_by_label("Person").select_option(label="Tina Leung — Transport Department")
    henry.get_by_role("button", name="Add member").click()

    expect(tom.locator("ol.activity-feed li")).to_have_count(
        feed_before + 1, timeout=LIVE_TIMEOUT_MS
    )
    expect(tom.locator("ol.activity-feed li").first).to_contain_text("Tina Leung")
    # The members table follows in place, without a reload.
    expect(tom.locator("#members")).to_contain_text("Tina Leung", timeout=LIVE_TIMEOUT_MS)
    assert tom.evaluate("window.bridgeworkNotReloaded") is True


def test_a_dropped_message_is_fetched_when_the_next_one_shows_the_gap(new_page, workspace):
    tom = new_page("td.officer")
    dropped: list[int] = []

    def route(ws) -> None:
        server = ws.connect_to_server()

        def from_server(message) -> None:
            if isinstance(message, str) and message.startswith("42"):
                name, payload = json.loads(message[2:])[:2]
                if name == "event" and payload.get("stream") == workspace["stream"]:
                    if not dropped:
                        dropped.append(payload["seq"])
                        return
            ws.send(message)

        server.on_message(from_server)
        ws.on_message(lambda message: server.send(message))

    tom.route_web_socket(re.compile(r"/socket\.io/"), route)
    catch_ups: list[str] = []
    tom.on(
        "request",
        lambda request: catch_ups.append(request.url) if "/events?after=" in request.url else None,
    )
    _open_live(tom, workspace["path"])
    start = max(_feed_seqs(tom))
    henry = workspace["henry"]
    wid = workspace["id"]

    henry.call("POST", f"/workspaces/{wid}/departments", {"department_id": workspace["eitb"]}, 201)
    henry.call(
        "POST", f"/workspaces/{wid}/departments", {"department_id": workspace["police"]}, 201
    )

    expect(tom.locator(f'ol.activity-feed li[data-seq="{start + 2}"]')).to_have_count(
        1, timeout=LIVE_TIMEOUT_MS
    )
    assert dropped == [start + 1]
    assert _feed_seqs(tom)[:2] == [start + 2, start + 1]
    assert EITB in _feed_texts(tom)[1]
    assert any(url.endswith(f"after={start}") for url in catch_ups)
    assert tom.evaluate("window.bridgeworkNotReloaded") is True


def test_a_page_that_lost_its_connection_says_so_and_catches_up_on_reconnect(new_page, workspace):
    tom = new_page("td.officer")
    offline = {"on": False}
    open_sockets = []

    def route(ws) -> None:
        if offline["on"]:
            ws.close()
            return
        open_sockets.append(ws)
        ws.connect_to_server()

    def polling(route_request) -> None:
        if offline["on"]:
            route_request.abort()
        else:
            route_request.continue_()

    tom.route_web_socket(re.compile(r"/socket\.io/"), route)
    tom.route(re.compile(r"/socket\.io/"), polling)
    _open_live(tom, workspace["path"])
    start = max(_feed_seqs(tom))

    offline["on"] = True
    for ws in open_sockets:
        ws.close()
    expect(tom.locator("#live-status")).to_have_text("Reconnecting…")
    workspace["henry"].call(
        "POST",
        f"/workspaces/{workspace['id']}/departments",
        {"department_id": workspace["eitb"]},
        201,
    )
    expect(tom.locator("#live-status")).to_have_text("Reconnecting…")
    assert max(_feed_seqs(tom)) == start

    offline["on"] = False
    expect(tom.locator("#live-status")).to_have_text("Live", timeout=15_000)
    expect(tom.locator(f'ol.activity-feed li[data-seq="{start + 1}"]')).to_contain_text(
        EITB, timeout=LIVE_TIMEOUT_MS
    )
    assert tom.evaluate("window.bridgeworkNotReloaded") is True
