"""An officer registers a dataset with the column editor and uploads versions from its page;
a reader of another department, with the same page open, sees each version arrive.

The dataset is registered in the test itself, so the demo's datasets stay as they are.
"""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]

LIVE_TIMEOUT_MS = 10_000
_names = itertools.count(1)


def register_with_column_editor(page, base_url: str, title: str) -> str:
    page.goto(f"{base_url}/catalog/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Classification").select_option("public")
    page.get_by_label("Column name 1").fill("station")
    page.get_by_role("button", name="Add a column").click()
    page.get_by_label("Column name 2").fill("level_m")
    page.get_by_label("Type of column 2").select_option("decimal")
    page.get_by_role("button", name="Register dataset").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    return page.url


def test_upload_with_progress_updates_both_pages_and_shows_line_errors(new_page, live_server):
    title = f"Tide gauge readings {next(_names)}"
    officer = new_page("dsd.officer")
    url = register_with_column_editor(officer, live_server, title)
    columns = officer.get_by_role("region", name="Columns").or_(
        officer.locator("table.column-list")
    )
    expect(columns.first).to_contain_text("level_m")

    reader = new_page("td.officer")
    reader.goto(url)
    expect(reader.get_by_text("No version has been uploaded yet.")).to_be_visible()
    expect(reader.get_by_role("heading", name="Upload a new version")).to_have_count(0)

    officer.get_by_label("CSV file").set_input_files(
        {
            "name": "tides.csv",
            "mimeType": "text/csv",
            "buffer": b"station,level_m\nTP-1,1.25\nTP-1,deep\n",
        }
    )
    officer.get_by_role("button", name="Upload").click()
    upload_status = officer.get_by_role("region", name="Upload a new version").get_by_role("status")
    expect(upload_status).to_contain_text(
        "Line 3: level_m must be a number, found 'deep'.", timeout=LIVE_TIMEOUT_MS
    )

    officer.get_by_label("CSV file").set_input_files(
        {
            "name": "tides.csv",
            "mimeType": "text/csv",
            "buffer": b"station,level_m\nTP-1,1.25\nTP-2,0.5\n",
        }
    )
    officer.get_by_role("button", name="Upload").click()
    expect(upload_status).to_contain_text("Version 1 stored: 2 rows.", timeout=LIVE_TIMEOUT_MS)
    versions = officer.locator("table.version-list")
    expect(versions).to_contain_text("tides.csv", timeout=LIVE_TIMEOUT_MS)

    expect(reader.locator("table.version-list")).to_contain_text(
        "tides.csv", timeout=LIVE_TIMEOUT_MS
    )
    expect(reader.locator("table.preview")).to_contain_text("TP-2")
    expect(reader.locator(".activity-feed")).to_contain_text("uploaded version 1")
