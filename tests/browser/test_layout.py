"""Every page a role can reach fits a phone (390×844, as opened from WeChat) and a desktop (1280×800) without
scrolling sideways, and axe-core finds nothing serious or critical under WCAG 2 A and AA on it.

The pages are found by crawling, not listed: from the role's home and its navigation, every same-site link
(GET only; never log-out, a download or an export, nor the language switch), one page per URL pattern (the
path with its numbers replaced), at most ``MAX_PAGES`` per role. axe-core is the vendored copy in
``vendor/`` (see its README), put into each page by Playwright; the page's own CSP is bypassed for that alone.
Screenshots of a few key pages at both sizes go to $FUND_LEDGER_SCREENSHOTS (conftest.py).
"""
from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from .conftest import DEMO_PASSWORD

pytestmark = pytest.mark.slow

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ROLES = [None, "manager", "auditor", "zhuren", "admin"]  # None: logged out
MAX_PAGES = 40
SKIPPED_PATHS = re.compile(r"(^/logout|^/static/|export|download|\.(pdf|csv|beancount|journal|zip|json)$)")
SERIOUS = ("serious", "critical")
KEY_PAGES = [("manager", "/overview"), ("auditor", "/overview"), ("zhuren", "/home"), ("zhuren", "/disbursements"),
             ("manager", "/reports"), (None, "/"), (None, "/login")]


def _pattern(path: str) -> str:
    """One page stands for every page whose path differs only in numbers (/journal/2026-000001, ...)."""
    return re.sub(r"\d+", "#", path.rstrip("/") or "/")


def _followable(base: str, href: str) -> str | None:
    url = urljoin(base, href.split("#")[0])
    parts, home = urlsplit(url), urlsplit(base)
    if (parts.scheme, parts.netloc) != (home.scheme, home.netloc) or not parts.path:
        return None
    if SKIPPED_PATHS.search(parts.path) or "lang=" in parts.query:
        return None
    return url


def _log_in(page, server: str, username: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/login" not in page.url, f"{username} could not log in: {page.inner_text('main')}"


def _crawl(page, server: str) -> list[str]:
    """Up to MAX_PAGES HTML pages reachable from where the page is now, one per URL pattern."""
    start = [page.url, *[_followable(page.url, h) for h in
                         page.eval_on_selector_all("header nav a[href]", "as => as.map(a => a.getAttribute('href'))")]]
    queue, seen, found = deque(u for u in start if u), set(), []
    while queue and len(found) < MAX_PAGES:
        url = queue.popleft()
        key = _pattern(urlsplit(url).path)
        if key in seen:
            continue
        seen.add(key)
        response = page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        if urlsplit(page.url).path != urlsplit(url).path and _pattern(urlsplit(page.url).path) in seen:
            continue  # redirected to a page already taken
        found.append(page.url)
        hrefs = page.eval_on_selector_all("a[href]:not([download])", "as => as.map(a => a.getAttribute('href'))")
        queue.extend(u for u in (_followable(page.url, h) for h in hrefs) if u and _pattern(urlsplit(u).path) not in seen)
    return found


def _problems(page, url: str, size: str) -> list[str]:
    """What is wrong with the page now open: sideways scrolling, and axe's serious or critical violations."""
    problems = []
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(e => e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
            .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : ''))""")
        problems.append(f"{url} at {size}: {width[0]}px wide in a {width[1]}px window ({', '.join(wide)})")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    for v in result["violations"]:
        if v["impact"] in SERIOUS:
            targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
            problems.append(f"{url} at {size}: {v['id']} ({v['impact']}, {len(v['nodes'])}×): {targets}")
    return problems


@pytest.mark.both_databases  # specified as "in Chromium, both databases"
@pytest.mark.parametrize("username", ROLES, ids=lambda u: u or "logged-out")
def test_every_page_fits_a_phone_and_a_desktop_and_passes_axe(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport=SIZES["desktop"], bypass_csp=True)
    page = context.new_page()
    try:
        if username:
            _log_in(page, live_server, username)
        else:
            page.goto(f"{live_server}/login")
        pages = _crawl(page, live_server)
        assert len(pages) >= (1 if username is None else 3), pages
        problems = []
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            for url in pages:
                page.goto(url)
                problems += _problems(page, url.removeprefix(live_server), size)
        assert not problems, f"{username or 'logged out'}: {len(pages)} pages, problems:\n" + "\n".join(problems)
    finally:
        context.close()


def test_key_pages_at_both_sizes(browser, live_server, shots):
    """Screenshots for a person to look at: the overview, a grantee's requests, the reports, the log-in."""
    for username in dict.fromkeys(u for u, _ in KEY_PAGES):
        context = browser.new_context(locale="zh-CN", viewport=SIZES["desktop"])
        page = context.new_page()
        try:
            if username:
                _log_in(page, live_server, username)
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                for path in (p for u, p in KEY_PAGES if u == username):
                    page.goto(f"{live_server}{path}")
                    name = path.strip("/").replace("/", "-") or "home"
                    page.screenshot(path=str(shots / f"layout-{name}-{username or 'anonymous'}-{size}.png"),
                                    full_page=True)
                    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, size)
        finally:
            context.close()


def test_a_refused_form_takes_focus_to_what_went_wrong(browser, live_server):
    """After a failed submit the keyboard and the screen reader start at the message, not at the top."""
    context = browser.new_context(locale="zh-CN", viewport=SIZES["phone"])
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", "not-the-password")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.wait_for_load_state("load")
        focused = page.evaluate("document.activeElement.matches('.notice.error, [aria-invalid=true]')")
        assert focused, page.evaluate("document.activeElement.outerHTML")
    finally:
        context.close()


def test_fields_refused_are_marked_and_the_first_takes_focus(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=SIZES["phone"])
    page = context.new_page()
    try:
        _log_in(page, live_server, "manager")
        page.goto(f"{live_server}/donations/new")
        page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")  # the server's say
        page.fill("input[name=amount]", "abc")
        with page.expect_navigation():
            page.click("main form.donation-form button[type=submit]")
        amount = page.locator("input[name=amount]")
        assert amount.get_attribute("aria-invalid") == "true"
        assert page.locator(f"#{amount.get_attribute('aria-describedby')}").inner_text().strip()
        assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
        assert page.evaluate("document.activeElement.closest('form').classList.contains('donation-form')")
    finally:
        context.close()


def test_a_skip_link_leads_to_the_page_content(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=SIZES["desktop"])
    page = context.new_page()
    try:
        _log_in(page, live_server, "manager")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
    finally:
        context.close()
