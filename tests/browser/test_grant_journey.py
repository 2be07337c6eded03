"""A grant's life across two people, each in a browser of their own: a police officer
opens the grant on "My grants" and downloads the extract; Transport's head, who answers
for the dataset, revokes it with a reason after confirming; the officer's open grant page
shows the revocation live, without a reload, and the download is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]


def _errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_grantee_downloads_owner_revokes_and_the_page_follows_live(new_page):
    officer = new_page("police.officer")
    officer_errors = _errors(officer)
    officer.goto("/grants/?q=marathon")
    officer.get_by_role("link", name="Traffic counts on strategic roads").click()
    expect(officer).to_have_url(re.compile(r"/grants/\d+$"))
    path = officer.url.split(officer.url.split("/grants/")[0], 1)[1]
    with officer.expect_download() as download_info:
        officer.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.match(
        r"grant-\d+-traffic-counts-on-strategic-roads-until-", download.suggested_filename
    )
    header = open(download.path(), encoding="utf-8").readline()
    assert header.strip() == '"road","direction","hour_starting","vehicles"'
    expect(officer.locator("#live-status")).to_have_text("Live")
    officer.evaluate("window.bridgeworkNotReloaded = true")

    head = new_page("td.head")
    head.goto(path)
    expect(head.get_by_role("heading", name="Usage")).to_be_visible()
    expect(head.locator("table")).to_contain_text("Download")
    head.get_by_label("Why you revoke it (the grantees are told)").fill(
        "The marathon was cancelled."
    )
    head.once("dialog", lambda dialog: dialog.accept())
    head.get_by_role("button", name="Revoke", exact=True).click()
    head.get_by_label("I understand that every grantee loses access at once").check()
    head.once("dialog", lambda dialog: dialog.accept())
    head.get_by_role("button", name="Revoke", exact=True).click()
    expect(head.locator("#grant-revoked")).to_contain_text("The marathon was cancelled.")

    expect(officer.locator("#grant-revoked")).to_contain_text("The marathon was cancelled.")
    expect(officer.get_by_role("link", name="Download CSV")).to_have_count(0)
    assert officer.evaluate("window.bridgeworkNotReloaded") is True
    officer.goto(path + "/download")
    expect(officer.locator("body")).to_contain_text("This grant was revoked")
    assert officer_errors == []
