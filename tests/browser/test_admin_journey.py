"""An administrator brings a new civil servant onto the platform, who can then sign in."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_through_form

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]

NEW_USERNAME = "kelvin.lau"
NEW_PASSWORD = "harbour-crossing-2031"


def test_admin_creates_a_user_who_can_then_sign_in(new_page):
    page = new_page("admin")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
    expect(page.get_by_text(NEW_USERNAME, exact=True)).to_have_count(0)

    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill(NEW_USERNAME)
    page.get_by_label("Display name").fill("Kelvin Lau")
    page.get_by_label("Email").fill("kelvin.lau@td.gov.hk")
    page.get_by_label("Department", exact=True).select_option(
        label="Transport Department — Hong Kong (HK)"
    )
    page.get_by_role("group", name="Roles").get_by_label("officer", exact=True).check()
    page.get_by_label("Initial password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create user").click()

    created = page.get_by_role("status").filter(has_text=f"User {NEW_USERNAME} created.")
    expect(created).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
    expect(page.get_by_role("main").get_by_text(NEW_USERNAME, exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    sign_in_through_form(page, NEW_USERNAME, NEW_PASSWORD)
    # The administrator chose this password, so its owner must choose their own first.
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your own password")
    page.get_by_label("Current password").fill(NEW_PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD + "-own")
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD + "-own")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="Your password is changed")).to_be_visible()
    account = page.get_by_role("banner")
    expect(account.get_by_role("link", name="Kelvin Lau")).to_be_visible()
    expect(account).to_contain_text("Transport Department")
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)
