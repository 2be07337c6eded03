"""A data request's whole journey across three people, each in a browser of their own:
an officer of Transport files it through the form, the Transport head endorses it, the
Drainage head approves it, and the officer's open request page turns to "approved" without
a reload. The Drainage head's "waiting for you" count and queue gain the request live when it
reaches them, and lose it again once it is approved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]

LIVE_TIMEOUT_MS = 5_000
WORKSPACE = "Flood response: Typhoon season 2026"
DATASET = "Real-time flood sensor readings (Drainage Services Department)"


def _errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def _live(page) -> None:
    expect(page.locator("#live-status")).to_have_text("Live")
    page.evaluate("window.bridgeworkNotReloaded = true")


def _file_through_the_form(page, title: str) -> str:
    page.goto("/requests/new")
    page.get_by_label("Workspace you file from").select_option(label=WORKSPACE)
    page.get_by_label("Dataset").select_option(label=DATASET)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Which data, in a few words").fill(title)
    for column in ("station_id", "district", "water_level_m", "alarm"):
        page.get_by_label(f"Ask for {column}", exact=True).check()
    page.get_by_label("Allowed values of district").fill("Kowloon City, Wong Tai Sin")
    page.get_by_label("Purpose: what the data will be used for").fill(
        "Close flooded roads early and divert buses during typhoon signal No. 8."
    )
    page.get_by_label("Legal basis").fill("Road Traffic Ordinance (Cap. 374), section 4")
    page.get_by_label("Duration of access, in days").fill("60")
    page.get_by_role("button", name="Submit for decision").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))
    return page.url.rsplit("/", 1)[-1]


def _badge(page):
    return page.locator("#request-title [data-status]")


def test_officer_files_head_endorses_owner_approves_and_the_page_follows_live(new_page):
    tom = new_page("td.officer")
    tom_errors = _errors(tom)
    request_id = _file_through_the_form(tom, "Water levels for bus diversions")
    path = f"/requests/{request_id}"
    expect(_badge(tom)).to_have_text("Waiting for endorsement")
    expect(tom.locator("#request-scope")).to_contain_text(
        "Only rows whose district is one of: Kowloon City, Wong Tai Sin"
    )
    _live(tom)

    henry = new_page("dsd.head")
    henry_errors = _errors(henry)
    henry.goto("/")
    _live(henry)
    waiting = henry.locator('.waiting-card [data-request-count="waiting"]')
    before = int(waiting.inner_text())
    queue = new_page("dsd.head")
    queue.goto("/requests/waiting")
    _live(queue)
    expect(queue.locator("#request-list")).not_to_contain_text("Water levels for bus diversions")

    tina = new_page("td.head")
    tina.goto(path)
    expect(tina.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    tina.get_by_role("button", name="Endorse for Transport Department").click()
    expect(_badge(tina)).to_have_text("Endorsed, waiting for approval")

    expect(_badge(tom)).to_have_text("Endorsed, waiting for approval", timeout=LIVE_TIMEOUT_MS)
    expect(waiting).to_have_text(str(before + 1), timeout=LIVE_TIMEOUT_MS)
    expect(henry.locator('nav [data-request-count="waiting"]')).to_have_text(str(before + 1))
    expect(queue.locator("#request-list")).to_contain_text(
        "Water levels for bus diversions", timeout=LIVE_TIMEOUT_MS
    )

    approver = new_page("dsd.head")
    approver.goto(path)
    expect(approver.get_by_role("button", name="Endorse for Transport Department")).to_have_count(0)
    approver.get_by_label("Duration of access, in days").fill("30")
    approver.get_by_role("button", name="Approve", exact=True).click()
    expect(_badge(approver)).to_have_text("Approved")

    expect(_badge(tom)).to_have_text("Approved", timeout=LIVE_TIMEOUT_MS)
    expect(tom.locator("#request-scope")).to_contain_text("30 days from approval")
    expect(tom.locator("#request-scope")).to_contain_text("Grant")
    expect(tom.locator("#request-announcer")).to_contain_text("approved")
    expect(tom.locator("#request-actions")).not_to_contain_text("Withdraw")
    expect(waiting).to_have_text(str(before), timeout=LIVE_TIMEOUT_MS)
    expect(queue.locator("#request-list")).not_to_contain_text(
        "Water levels for bus diversions", timeout=LIVE_TIMEOUT_MS
    )
    assert queue.evaluate("window.bridgeworkNotReloaded") is True
    assert tom.evaluate("window.bridgeworkNotReloaded") is True
    assert henry.evaluate("window.bridgeworkNotReloaded") is True
    assert tom_errors == [] and henry_errors == []
