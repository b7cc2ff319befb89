"""Pages speak Chinese (with English small beside) unless ?lang=en asks for English, which then sticks."""
from __future__ import annotations

import re

import pytest

DEMO_PASSWORD = "aililiang-2026"  # the demo users' password (tests/conftest.py)


def log_in(client, username: str = "auditor"):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def nav(page: str) -> str:
    return re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', page, re.S).group(1)


def test_chinese_is_the_default_with_english_beside(client):
    page = log_in(client).get("/overview").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "概览 <small>Overview</small>" in nav(page) and "审计日志 <small>Audit log</small>" in nav(page)
    assert "基金概览 <small>Funds and trial balance</small>" in page
    assert 'hreflang="en">English</a>' in page  # the switch offers the other language


def test_lang_en_shows_english_only(client):
    page = log_in(client).get("/overview?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert ">Overview</a>" in nav(page) and ">Journal</a>" in nav(page) and ">Audit log</a>" in nav(page)
    assert "概览" not in nav(page)
    assert "<h1>Overview <small>" in page and ">Funds and trial balance ↓</a>" in page
    assert "Bank deposits" in page and "银行存款" not in page
    assert "¥78,000.00" in page and page.count("239,408.50") == 2  # amounts are written the same way
    assert 'hreflang="zh-CN">中文</a>' in page


def test_the_choice_sticks_until_changed(client):
    log_in(client)
    client.get("/funds?lang=en")
    for url in ("/journal", "/journal/2026-000005", "/audit", "/account"):
        page = client.get(url).get_data(as_text=True)
        assert '<html lang="en">' in page, url
    assert "Reversed by" in client.get("/journal/2026-000005").get_data(as_text=True)
    page = client.get("/journal?lang=zh").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "序时账 <small>General journal" in page
    assert '<html lang="zh-CN">' in client.get("/overview").get_data(as_text=True)


def test_the_choice_survives_logging_in_and_out(client):
    assert '<html lang="en">' in client.get("/login?lang=en").get_data(as_text=True)
    assert "<h1>Log in</h1>" in client.get("/login").get_data(as_text=True)
    log_in(client)
    page = client.get("/overview").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log out" in page and "退出" not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/logout", data={"csrf_token": token})
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["fr", "", "EN", "zh-CN<script>"])
def test_unknown_languages_are_ignored(client, lang):
    page = client.get("/login", query_string={"lang": lang}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "<script>" not in page


def test_the_switch_keeps_the_page_and_its_query(client):
    page = log_in(client).get("/journal?per_page=5&page=2").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" lang="en"', page).group(1).replace("&amp;", "&")
    assert link.startswith("/journal?") and "per_page=5" in link and "page=2" in link and "lang=en" in link


def test_people_pages_and_error_pages_in_english(login):
    admin = login("admin")
    page = admin.get("/admin/users?lang=en").get_data(as_text=True)
    assert "<h1>Users</h1>" in page and "Add a user" in page and "Administrator" in page and "用户管理" not in page
    page = admin.get("/audit?since=garbage").get_data(as_text=True)
    assert "The filter is not valid" in page and "查询条件有误" not in page
    page = admin.get("/admin/users/999999").get_data(as_text=True)
    assert '<html lang="en">' in page and ">Home</a>" in page


def test_the_api_does_not_take_part(client, api_token):
    token = api_token("auditor")
    client.get("/api/v1/audit/log?lang=en", headers={"Authorization": f"Bearer {token}"})
    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)
