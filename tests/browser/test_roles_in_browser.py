"""In a real browser (Chromium through Playwright): each demo user logs in through the form, sees the
navigation their role allows, is refused a page it does not, and logs out.

The app runs in this process on 127.0.0.1 (werkzeug's server in a thread) against the demo database;
nothing leaves the machine. Screenshots go to $FUND_LEDGER_SCREENSHOTS, or to pytest's tmp dir (conftest.py).
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

MAIN_NAV = ["概览", "序时账", "基金", "审计日志", "用户管理"]
ROLES = {
    # username: (the main navigation it sees, a page it may not open, a page it may)
    "manager": (["概览", "序时账", "基金", "审计日志"], "/admin/users", "/journal/2026-000001"),
    "auditor": (["概览", "序时账", "基金", "审计日志"], "/admin/users", "/audit"),
    "zhuren": (["基金"], "/overview", "/funds"),
    "admin": (["审计日志", "用户管理"], "/journal", "/admin/users"),
}


def _main_nav(page) -> list[str]:
    texts = page.locator("header nav a").all_inner_texts()
    return [label for text in texts for label in MAIN_NAV if text.strip().startswith(label)]


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_sees_its_navigation_in_a_browser(browser, live_server, sign_in, shots, username, dbname):
    nav, forbidden, allowed = ROLES[username]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    csp_violations, page_errors = [], []
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    try:
        page.goto(f"{live_server}/")  # the public front door, and its way in for the staff
        page.click("main a[href='/login']")
        assert page.url.startswith(f"{live_server}/login")
        sign_in(page, username)  # on the form the redirect led to
        assert "/login" not in page.url, page.inner_text("main")
        assert _main_nav(page) == nav
        page.screenshot(path=str(shots / f"{username}-{dbname}-home.png"), full_page=True)

        response = page.goto(f"{live_server}{allowed}")
        assert response.status == 200 and _main_nav(page) == nav

        response = page.goto(f"{live_server}{forbidden}")
        assert response.status == 403
        assert "403" in page.inner_text("main")
        assert _main_nav(page) == nav  # the refusal page keeps the role's own navigation
        page.screenshot(path=str(shots / f"{username}-{dbname}-403.png"), full_page=True)

        page.goto(f"{live_server}/account")
        assert username in page.inner_text("main")
        with page.expect_navigation():
            page.click("header form button[type=submit]")  # 退出 Log out
        assert page.url.startswith(f"{live_server}/login")
        assert _main_nav(page) == []
        page.goto(f"{live_server}{allowed}")
        assert page.url.startswith(f"{live_server}/login")  # the session is gone
        assert not csp_violations, csp_violations
        assert not page_errors, page_errors
    finally:
        context.close()


def test_a_wrong_password_in_the_browser_says_so_and_stays_on_the_form(browser, live_server, sign_in):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, "manager", "not-the-password")
        assert page.url.startswith(f"{live_server}/login")
        assert page.get_by_role("alert").inner_text().strip()
        assert _main_nav(page) == []
    finally:
        context.close()
