"""Pages other than the workspace's follow live changes too: the home page's cards, the
notifications list, and a page whose reader's account is deactivated meanwhile.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_live_workspace import Api, _department_id, _user_id

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]

LIVE_TIMEOUT_MS = 5_000
_names = itertools.count(1)


def _open_live(page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#live-status")).to_have_text("Live")
    page.evaluate("window.bridgeworkNotReloaded = true")


def _new_workspace(henry: Api) -> int:
    created = henry.call(
        "POST",
        "/workspaces",
        {
            "name": f"Heat wave desk {next(_names)}",
            "purpose": "Share cooling centre capacity during very hot weather warnings.",
            "ends_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        expect_status=201,
    )
    return created["id"]


def test_an_invitation_shows_on_the_heads_home_page_and_notifications_without_reload(
    new_page, live_server
):
    henry = Api(live_server, "dsd.head")
    police = _department_id(henry, "HKPF")
    home = new_page("police.head")
    _open_live(home, "/")
    card = home.locator("#home-cards section").filter(has_text="Invitations to answer")
    before = int(card.locator(".count").inner_text())
    notices = new_page("police.head")
    _open_live(notices, "/notifications/")

    workspace_id = _new_workspace(henry)
    henry.call("POST", f"/workspaces/{workspace_id}/departments", {"department_id": police}, 201)

    card = home.locator("#home-cards section").filter(has_text="Invitations to answer")
    expect(card.locator(".count")).to_have_text(str(before + 1), timeout=LIVE_TIMEOUT_MS)
    expect(card).to_contain_text("Heat wave desk")
    expect(home.locator("#live-announcer")).to_contain_text("invited Hong Kong Police Force")
    expect(notices.locator(".notification-list")).to_contain_text(
        "is invited to", timeout=LIVE_TIMEOUT_MS
    )
    assert home.evaluate("window.bridgeworkNotReloaded") is True
    assert notices.evaluate("window.bridgeworkNotReloaded") is True


def test_activity_in_a_workspace_shows_on_its_members_home_card_without_reload(
    new_page, live_server
):
    henry = Api(live_server, "dsd.head")
    workspace_id = _new_workspace(henry)
    home = new_page("dsd.head")
    _open_live(home, "/")
    card = home.locator("#home-cards section").filter(has_text="Your workspaces")
    line = card.locator(f'li[data-live-stream="workspace:{workspace_id}"]')
    expect(line).to_be_visible()

    for name in ("Cooling centres, Sham Shui Po", "Cooling centres, after a refresh"):
        version = henry.call("GET", f"/workspaces/{workspace_id}")["version"]
        henry.call("PATCH", f"/workspaces/{workspace_id}", {"version": version, "name": name})
        line = card.locator(f'li[data-live-stream="workspace:{workspace_id}"]')
        expect(line).to_contain_text(name, timeout=LIVE_TIMEOUT_MS)
    assert home.evaluate("window.bridgeworkNotReloaded") is True


def test_a_deactivated_persons_open_page_clears_and_says_why(new_page, live_server):
    admin = Api(live_server, "admin")
    officer = _user_id(admin, "ha.officer")
    page = new_page("ha.officer")
    _open_live(page, "/workspaces/")
    try:
        admin.call("PATCH", f"/users/{officer}", {"active": False})
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Your account was deactivated", timeout=LIVE_TIMEOUT_MS)
        expect(page.locator("main table")).to_have_count(0)
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    finally:
        admin.call("PATCH", f"/users/{officer}", {"active": True})
