"""Issue 12 (D2): what people read is in their words, not the program's. Times in Beijing time, people by their
names, yuan and plain words on the public proof page, the audit log's detail in words, and the app's own
Chinese page for every refusal (a missing page too, logged out and logged in)."""
from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import text

DEMO_PASSWORD = "aililiang-2026"
NEW_PASSWORD = "Zhangdian-2026-new"


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": client.csrf_token, **data})


def sql(app, query: str, **params):
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text(query), params).all()


def waiting_request(app) -> int:
    """The demo's request waiting for review (困境儿童帮扶项目第二期, submitted by zhuren)."""
    return sql(app, "SELECT id FROM disbursements WHERE status = 'submitted' ORDER BY id")[0][0]


def approve(client, ident: int):
    page = client.get(f"/disbursements/{ident}").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    data = {"idempotency_key": key.group(1)} if key else {}
    return post(client, f"/disbursements/{ident}/approve", **data)


# --- Beijing time ---------------------------------------------------------------------------------------

def test_times_people_read_are_beijing_time(app, login, set_today):
    set_today(date(2026, 12, 31), time(23, 30))  # 15:30 UTC: the UTC date is the same, the hour is not
    admin = login("admin")
    assert post(admin, "/admin/users", username="li.na", role="auditor", display_name="审计人员 李娜",
                password=NEW_PASSWORD).status_code == 302
    stamp = sql(app, "SELECT created_at FROM users WHERE username = 'li.na'")[0][0]
    assert "T15:30" in stamp  # kept in UTC

    users = admin.get("/admin/users").get_data(as_text=True)
    assert "2026-12-31 23:30" in users and "2026-12-31 15:30" not in users
    user_id = sql(app, "SELECT id FROM users WHERE username = 'li.na'")[0][0]
    detail = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "2026-12-31 23:30" in detail and "2026-12-31 15:30" not in detail

    audit = admin.get("/audit?action=user.create").get_data(as_text=True)
    assert "2026-12-31 23:30" in audit and "2026-12-31 15:30" not in audit

    manager = login("manager")
    ident = waiting_request(app)
    assert approve(manager, ident).status_code == 302
    timeline = manager.get(f"/disbursements/{ident}").get_data(as_text=True)
    assert "2026-12-31 23:30" in timeline and "2026-12-31 15:30" not in timeline


def test_the_audit_log_dates_are_beijing_days(app, login, set_today):
    """A record made at 00:30 on 1 January in Beijing (16:30 UTC on 31 December) is found on 1 January."""
    set_today(date(2027, 1, 1), time(0, 30))
    admin = login("admin")
    post(admin, "/admin/users", username="li.na", role="auditor", password=NEW_PASSWORD)
    found = admin.get("/audit?action=user.create&since=2027-01-01&until=2027-01-01").get_data(as_text=True)
    assert "user: li.na" in found and "北京时间" in found
    assert "user: li.na" not in admin.get("/audit?action=user.create&until=2026-12-31").get_data(as_text=True)


# --- names, not usernames -------------------------------------------------------------------------------

def test_people_appear_by_their_names(app, login):
    auditor = login("auditor")
    page = auditor.get("/audit?actor=zhuren").get_data(as_text=True)
    rows = page.split("<tbody>")[1]
    assert "筑仁成长 赵静" in rows  # the display name, the username small beside it
    assert re.search(r"筑仁成长 赵静<br><small class=\"code\">zhuren</small>", rows)

    manager = login("manager")
    number = sql(app, "SELECT year, year_seq, actor FROM entries WHERE actor = 'manager' ORDER BY id")[0]
    entry = manager.get(f"/journal/{number[0]:04d}-{number[1]:06d}").get_data(as_text=True)
    assert "基金管理员 王敏" in entry


# --- the audit log's detail in words --------------------------------------------------------------------

def test_the_audit_detail_reads_in_words(app, login):
    manager = login("manager")
    assert approve(manager, waiting_request(app)).status_code == 302
    page = login("auditor").get("/audit?action=disbursement.approve").get_data(as_text=True)
    rows = page.split("<tbody>")[1]
    assert "已提交 → 已批准" in rows and "已预留资金：是" in rows
    assert "from: submitted" not in rows and "reserved: True" not in rows
    assert "审批进度：1/1" in rows
    assert "&#34;from&#34;:&#34;submitted&#34;" in rows  # the record itself stays in the cell's title

    english = login("auditor").get("/audit?action=disbursement.approve&lang=en").get_data(as_text=True)
    assert "Submitted → Approved" in english and "money reserved: yes" in english


def test_the_detail_shows_money_in_yuan(app, login):
    page = login("auditor").get("/audit?action=disbursement.submit").get_data(as_text=True)
    rows = page.split("<tbody>")[1]
    assert "金额：¥20,000.00" in rows and "基金：爱力量" in rows


# --- the public proof page ------------------------------------------------------------------------------

def test_the_proof_page_speaks_yuan_and_words(app, login):
    manager = login("manager")
    post(manager, "/periods/close", period="2026-09", confirm="yes")
    assert post(manager, "/audit-reports/issue", period="2026-09").status_code == 302
    code, amount = sql(app, "SELECT verification_code, amount FROM donations ORDER BY id")[1]

    page = app.test_client().get(f"/verify/{code}/proof")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    yuan = f"¥{amount // 100:,}.{amount % 100:02d}"
    assert yuan in body and "人民币" in body  # figures and 大写
    assert " 分</small>" not in body and f"{amount} fen" not in body
    assert '{"' not in body and "&#34;amount&#34;" not in body  # no raw JSON leaf on the page
    assert "您的捐赠是其中之一" in body
    assert f'/api/v1/audit-reports/1/proof?code={code}' in body and "下载证明" in body  # the machine-readable proof
    proof = app.test_client().get(f"/api/v1/audit-reports/1/proof?code={code}")
    assert proof.status_code == 200 and proof.get_json()["leaf"]


# --- the app's own error pages --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/no-such-page", "/static/no-such.css", "/verify/ABCDE23456/nothing"])
def test_a_missing_page_is_the_apps_chinese_page(app, login, path):
    for client in (app.test_client(), login("manager")):
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 404 and response.mimetype == "text/html"
        assert "页面不存在" in body and "此网址没有页面" in body and '<html lang="zh-CN">' in body
        assert "Not Found" not in body and "The requested URL was not found" not in body
        assert "返回首页" in body


def test_refusals_are_the_apps_pages(app, login):
    grantee = login("zhuren")
    response = grantee.get("/journal")
    body = response.get_data(as_text=True)
    assert response.status_code == 403 and "无权访问" in body and "Forbidden" not in body
    response = login("manager").post("/journal", data={"csrf_token": "x"})
    assert response.status_code in (400, 405) and "Method Not Allowed" not in response.get_data(as_text=True)
    english = app.test_client().get("/no-such-page?lang=en").get_data(as_text=True)
    assert "Page not found" in english and "页面不存在" not in english


def test_the_api_keeps_its_problems(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
