"""The header's language switcher: a visitor without JavaScript, then a Shenzhen officer."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_through_form

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]


CHANGE_LANGUAGE = re.compile("^(Change language|切換語言|切换语言)$")


def switch_to(page, language: str) -> None:
    """Use the header's switcher, whatever language the page is in."""
    header = page.get_by_role("banner")
    header.get_by_role("combobox").select_option(label=language)
    header.get_by_role("button", name=CHANGE_LANGUAGE).click()


def test_visitor_switches_the_sign_in_page_to_traditional_chinese(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Bridgework")
        page.get_by_label("Language").select_option(label="繁體中文")
        page.get_by_role("button", name="Change language").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
        expect(page.get_by_role("heading", level=1)).to_have_text("登入 Bridgework")
    finally:
        context.close()


def test_officer_switches_to_simplified_chinese_and_keeps_it_at_the_next_sign_in(
    browser, live_server
):
    context = browser.new_context(base_url=live_server, locale="en-GB")
    try:
        page = context.new_page()
        sign_in_through_form(page, "sz.officer")
        page.goto("/workspaces/")
        switch_to(page, "简体中文")
        expect(page).to_have_url(re.compile(r"/workspaces/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("我的工作区")

        page.get_by_role("button", name="退出登录").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("登录 Bridgework")
        page.get_by_label("用户名").fill("sz.officer")
        page.get_by_label("密码").fill("bridgework-demo")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("navigation", name="主导航")).to_be_visible()

        switch_to(page, "English")  # leave the shared demo account as the other tests expect it
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()
