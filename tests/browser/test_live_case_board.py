"""Two officers of different departments look at the flood-response case board; one moves a
card with the keyboard-friendly controls and the other's board moves it live, announcing it.
On the case page each sees the other in the presence line.

Each test opens a case of its own through the REST API in the demo's flood-response
workspace, so the demo's own cases stay as they are.
"""

from __future__ import annotations

import itertools

import pytest
import requests
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD, FLOOD_RESPONSE

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]

LIVE_TIMEOUT_MS = 5_000
_titles = itertools.count(1)


def _api(base_url: str, username: str) -> dict:
    response = requests.post(
        f"{base_url}/api/v1/tokens",
        json={"username": username, "password": DEMO_PASSWORD, "name": "browser test"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def case(live_server) -> dict:
    headers = _api(live_server, "dsd.officer")
    workspaces = requests.get(
        f"{live_server}/api/v1/workspaces?per_page=100", headers=headers, timeout=10
    ).json()["items"]
    workspace_id = next(w["id"] for w in workspaces if w["name"] == FLOOD_RESPONSE)
    created = requests.post(
        f"{live_server}/api/v1/cases",
        json={
            "workspace_id": workspace_id,
            "title": f"Flooded underpass at Tai Wai, report {next(_titles)}",
            "priority": "high",
        },
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    return {"id": body["id"], "key": body["key"], "board": f"/cases/workspace/{workspace_id}/board"}


def _record_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def _open_live(page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#live-status")).to_have_text("Live")
    page.evaluate("window.bridgeworkNotReloaded = true")


def test_a_card_moved_on_one_board_moves_on_the_other(new_page, case):
    olivia = new_page("dsd.officer")
    tom = new_page("td.officer")
    errors = _record_errors(tom)
    _open_live(tom, case["board"])
    card_on_toms_board = tom.locator(f"#case-{case['id']}")
    expect(card_on_toms_board.locator("xpath=ancestor::section[1]")).to_have_attribute(
        "data-status", "open"
    )
    olivia.goto(case["board"])

    olivia.get_by_label(f"Move {case['key']} to").select_option(label="Blocked")
    olivia.get_by_role("button", name=f"Move {case['key']}").click()
    expect(olivia.get_by_text(f"{case['key']} is now Blocked.")).to_be_visible()

    blocked_column = tom.locator('.board-column[data-status="blocked"]')
    expect(blocked_column.locator(f"#case-{case['id']}")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(tom.locator("#board-announcer")).to_have_text(
        f"{case['key']} is now Blocked.", timeout=LIVE_TIMEOUT_MS
    )
    expect(tom.get_by_label(f"Move {case['key']} to")).to_have_value("blocked")
    assert tom.evaluate("window.bridgeworkNotReloaded") is True
    assert errors == []

    # Tom moves it on from his live-updated board: his card carries the new version.
    tom.get_by_label(f"Move {case['key']} to").select_option(label="In progress")
    tom.get_by_role("button", name=f"Move {case['key']}").click()
    expect(tom.get_by_text(f"{case['key']} is now In progress.")).to_be_visible()


def test_the_case_page_shows_who_else_is_viewing(new_page, case):
    olivia = new_page("dsd.officer")
    tom = new_page("td.officer")
    _open_live(olivia, f"/cases/{case['id']}")
    presence = olivia.locator("[data-presence]")
    expect(presence).to_have_text("Only you are viewing this case.")

    _open_live(tom, f"/cases/{case['id']}")

    expect(presence).to_have_text("Also viewing now: Tom Cheung", timeout=LIVE_TIMEOUT_MS)
    expect(tom.locator("[data-presence]")).to_have_text(
        "Also viewing now: Olivia Ho", timeout=LIVE_TIMEOUT_MS
    )
    tom.close()
    expect(presence).to_have_text("Only you are viewing this case.", timeout=LIVE_TIMEOUT_MS)
