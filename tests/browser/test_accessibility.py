"""Every role's main pages, in every language: axe-core finds nothing serious, and phones fit.

For each demo role the test signs in with a browser that asks for English, Traditional or
Simplified Chinese, opens the pages that role uses, runs axe-core (vendored under
tests/browser/vendor/axe-core, injected here only) at desktop and at phone width, and
checks that at 390 px nothing scrolls sideways.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.one_pass("sqlite")]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
LANGUAGES = {"en": "en", "zh-HK": "zh-Hant", "zh-CN": "zh-Hans"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SERIOUS = ("serious", "critical")

ROLES = {
    "admin": [
        "/",
        "/workspaces/",
        "/workspaces/?scope=all",
        "WORKSPACE",
        "/notifications/",
        "/profile",
        "/admin/users",
        "/admin/users/new",
        "/admin/regions",
        "/admin/departments",
        "/audit/",
        "/catalog/",
        "/catalog/coverage",
    ],
    "auditor": [
        "/",
        "/workspaces/?scope=all",
        "WORKSPACE",
        "/notifications/",
        "/profile",
        "/audit/",
        "/catalog/",
        "/grants/",
    ],
    "dpo": [
        "/",
        "/workspaces/",
        "/notifications/",
        "/profile",
        "/profile/tokens",
        "/requests/waiting",
    ],
    "dsd.head": [
        "/",
        "/workspaces/",
        "WORKSPACE",
        "/notifications/",
        "/profile",
        "/profile/delegation",
        "/workspaces/new",
        "/requests/",
        "/requests/waiting",
        "/grants/",
    ],
    "dsd.officer": [
        "/",
        "/workspaces/",
        "WORKSPACE",
        "/notifications/",
        "/profile",
        "/profile/password",
        "/catalog/",
        "/requests/",
        "/cases/",
        "/grants/",
    ],
}


def sign_in(page, username: str) -> None:
    """The sign-in form, whatever its language: fields by name, the only submit button."""
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def workspace_path(page) -> str:
    """The demo workspace's page, found through the lists the person can see."""
    for listing in ("/workspaces/", "/workspaces/?scope=all"):
        page.goto(listing)
        link = page.locator("main a[href^='/workspaces/']").filter(has_text="Flood response")
        if link.count():
            return link.first.get_attribute("href")
    pytest.fail("the demo workspace is not listed for this person")


def axe_problems(page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE)
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
    return [
        f"{v['impact']} {v['id']}: {', '.join(v['nodes'][:5])}"
        for v in result
        if v["impact"] in SERIOUS
    ]


def sideways(page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits the window)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '');
  return [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > width + 1))
    .slice(0, 4).map(name);
}"""


@pytest.mark.parametrize("username", list(ROLES))
def test_role_pages_are_accessible_in_every_language_and_fit_a_phone(
    browser, live_server, username
):
    problems: list[str] = []
    for accept_language, lang in LANGUAGES.items():
        context = browser.new_context(
            base_url=live_server,
            viewport=DESKTOP,
            bypass_csp=True,  # axe is injected as an inline script; the app sends a strict CSP
            extra_http_headers={"Accept-Language": accept_language},
        )
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            sign_in(page, username)
            for path in ROLES[username]:
                if path == "WORKSPACE":
                    path = workspace_path(page)
                page.set_viewport_size(DESKTOP)
                page.goto(path)
                expect(page.locator("html")).to_have_attribute("lang", lang)
                where = f"{username} {lang} {path}"
                problems += [f"{where} (desktop): {p}" for p in axe_problems(page)]
                page.set_viewport_size(PHONE)
                problems += [f"{where} (390 px): {p}" for p in axe_problems(page)]
                overflow = sideways(page)
                if overflow > 0:
                    wide = ", ".join(page.evaluate(OVERFLOWING))
                    problems.append(f"{where}: scrolls {overflow} px sideways at 390 px: {wide}")
        finally:
            context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
