"""Browser tests: the real app in a subprocess, driven by Chromium through Playwright.

Fixtures:
- ``live_server``: base URL of ``python wsgi.py`` on a free port, migrated and seeded with
  the demo data in a temporary instance folder (on PostgreSQL when ``TEST_DATABASE_URL``
  names one, in a database of its own, dropped at the end). Its output goes to a log file
  whose tail is added to the report of a failing test.
- ``browser``: headless Chromium (Debian's ``/usr/bin/chromium``, see tests/services.py).
- ``new_page(username)``: a fresh browser context and page, signed in through the real
  login form as that demo user. Each call is a separate person (own cookies, own socket).

The browser and the server live for the ``tests/browser`` package only. Playwright's sync
API marks its event loop as running for as long as it is started, which would break any
later test that runs an asyncio loop of its own.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.demo import DEMO_PASSWORD
from tests.services import (
    drop_postgres_database,
    fresh_postgres_database,
    require_chromium,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_SECONDS = 60
ACTION_TIMEOUT_MS = 15_000
LOG_TAIL_LINES = 200

_server_log_key = pytest.StashKey[Path]()
_pages_key = pytest.StashKey[dict]()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(path: Path) -> str:
    if not path.exists():
        return "(no server output)"
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _server_environment(instance_dir: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI")
    }
    env.update(
        BRIDGEWORK_ENV="development",
        INSTANCE_DIR=str(instance_dir),
        PORT=str(port),
        HOST="127.0.0.1",
        PYTHONUNBUFFERED="1",
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="1024",
    )
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        env["DATABASE_URL"] = fresh_postgres_database("bridgework_browser")
    return env


def _run_cli(args: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"$ flask --app wsgi {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    if result.returncode != 0:
        pytest.fail(f"flask {' '.join(args)} failed:\n{_log_tail(log)}", pytrace=False)


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the app exited with code {process.returncode}:\n{_log_tail(log)}", pytrace=False
            )
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"the app did not answer on {url} within {START_TIMEOUT_SECONDS}s:\n{_log_tail(log)}",
        pytrace=False,
    )


@pytest.fixture(scope="package")
def live_server(request, tmp_path_factory) -> Iterator[str]:
    """Serve the real app from a subprocess, migrated and seeded with the demo data."""
    instance_dir = tmp_path_factory.mktemp("live-instance")
    log = instance_dir / "server.log"
    request.config.stash[_server_log_key] = log
    port = _free_port()
    env = _server_environment(instance_dir, port)
    _run_cli(["db", "upgrade"], env, log)
    _run_cli(["seed-demo"], env, log)
    base_url = f"http://127.0.0.1:{port}"
    with log.open("a") as out:
        out.write(f"$ python wsgi.py  (PORT={port})\n")
        out.flush()
        process = subprocess.Popen(
            [sys.executable, "wsgi.py"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if "DATABASE_URL" in env:
            drop_postgres_database(env["DATABASE_URL"])


@pytest.fixture(scope="package")
def browser():
    """Headless Chromium, shared by the browser tests; each test opens its own contexts."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(request, browser, live_server) -> Iterator[Callable]:
    """``new_page("dsd.head")``: a page signed in as that demo user in a context of its own."""
    contexts = []
    pages: dict[str, object] = {}
    request.node.stash[_pages_key] = pages

    def sign_in(username: str, password: str = DEMO_PASSWORD):
        context = browser.new_context(base_url=live_server)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages[f"{username} #{len(contexts)}"] = page
        sign_in_through_form(page, username, password)
        return page

    yield sign_in
    for context in contexts:
        context.close()


def sign_in_through_form(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in the login form as a person would and wait until the app lets them in."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, add the server log's tail and what each open page showed."""
    report = yield
    if report.failed:
        log = item.config.stash.get(_server_log_key, None)
        if log is not None and "live_server" in getattr(item, "fixturenames", ()):
            report.sections.append(("live server log (tail)", _log_tail(log)))
        for name, page in item.stash.get(_pages_key, {}).items():
            report.sections.append((f"page of {name}", _describe(page)))
    return report


def _describe(page) -> str:
    try:
        if page.is_closed():
            return "(closed)"
        return f"URL: {page.url}\n\n{page.locator('body').inner_text(timeout=2000)[:4000]}"
    except Exception as exc:  # noqa: BLE001 (the report must not hide the real failure)
        return f"(could not read the page: {exc.__class__.__name__})"
