"""Fixtures shared by the browser tests (Chromium through Playwright).

- ``browser``: Debian's Chromium (never a downloaded one), one per test module. Without it the tests are
  skipped locally; with ``CI=true`` they fail instead.
- ``live_server``: the ``app`` fixture (the demo ledger, on SQLite or PostgreSQL) served by werkzeug in a
  thread on 127.0.0.1 at a free port, for as long as the test runs; nothing leaves the machine.
- ``shots``: where screenshots go: $FUND_LEDGER_SCREENSHOTS, or pytest's tmp dir.
- ``dbname``: ``"sqlite"`` or ``"pg"``, for screenshot names.
- ``sign_in``: ``sign_in(page, "manager")`` logs in through the form (the demo password unless told).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
DEMO_PASSWORD = "aililiang-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: the browser tests need Chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1 at a free port for as long as the test runs."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def shots(tmp_path) -> Path:
    where = Path(os.environ.get("FUND_LEDGER_SCREENSHOTS") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture
def dbname(db_url) -> str:
    return "pg" if db_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def sign_in(live_server):
    """``sign_in(page, username, password=DEMO_PASSWORD)``: fill in the log-in form and submit it.

    Opens /login first unless the page is already there (as after a redirect to it). Leaves the page where
    the form sends it: the role's home page, or the form again with the refusal.
    """
    def _sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
        if not page.url.startswith(f"{live_server}/login"):
            page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    return _sign_in
