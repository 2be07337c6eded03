"""Take the README's screenshots: each page at desktop width and at a phone's 390 px.

Usage, against a server started with the demo data (``make run``), from the checkout:
``PYTHONPATH=. .venv/bin/python docs/screenshots/capture.py BASE_URL OUT_PREFIX``, e.g.
``... http://127.0.0.1:5000 docs/screenshots/after``.
Headless Chromium (``/usr/bin/chromium``) through Playwright.
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

from app.demo import DEMO_PASSWORD as PASSWORD

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGES = [
    ("login", None, "/login"),
    ("home", "ha.head", "/"),
    ("workspace", "dsd.head", "WORKSPACE"),
    ("notifications", "ha.head", "/notifications/"),
    ("audit", "auditor", "/audit/"),
    ("users", "admin", "/admin/users"),
]


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def workspace_path(page) -> str:
    page.goto("/workspaces/")
    link = page.locator("main a[href^='/workspaces/']").filter(has_text="Flood").first
    return link.get_attribute("href")


def capture(base_url: str, prefix: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        for name, username, path in PAGES:
            for width_name, viewport in WIDTHS.items():
                context = browser.new_context(base_url=base_url, viewport=viewport)
                page = context.new_page()
                if username:
                    sign_in(page, username)
                page.goto(workspace_path(page) if path == "WORKSPACE" else path)
                page.wait_for_timeout(800)
                page.screenshot(path=f"{prefix}-{name}-{width_name}.png")
                context.close()
        browser.close()


if __name__ == "__main__":
    capture(sys.argv[1], sys.argv[2])
