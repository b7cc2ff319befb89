"""The notes to the financial statements on the page ``/reports/notes`` and through the API, on the demo ledger: a
manager writes the three texts (a new version each time, history shown), an auditor reads them and sees no form;
markup in a text is printed, never obeyed; bad input is refused alike on the page and in the API, naming the
field, with nothing written; the downloads and ``GET /api/v1/reports/notes`` are the same report."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fund_ledger.db import models as m

MARKUP = "<script>alert(1)</script> <b>加粗</b> {{ 7*7 }}"
YEAR = {"from": "2026-01-01", "to": "2026-12-31"}


def _count(app) -> int:
    with Session(app.extensions["fund_ledger.engine"]) as s:
        return s.scalar(select(func.count()).select_from(m.ReportText))


def _save(client, section: str, body: str, year: int = 2026):
    return client.post(f"/reports/notes/texts/{year}/{section}", data={"csrf_token": client.csrf_token, "body": body})


def _codes(html: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for field, code in re.findall(r'data-field="([^"]*)" data-code="([^"]*)"', html):
        out.setdefault(field, set()).add(code)
    return out


def test_a_manager_writes_the_texts_and_the_history_is_kept(app, login):
    manager = login("manager")
    saved = _save(manager, "policies", "本基金执行《民间非营利组织会计制度》。\r\n捐赠按收款日确认。")
    assert saved.status_code == 303 and saved.headers["Location"].endswith("#text-policies")
    assert _save(manager, "policies", "第二版：本基金执行 2024 年修订的制度。").status_code == 303
    again = _save(manager, "policies", "第二版：本基金执行 2024 年修订的制度。")  # the same text: nothing written
    assert again.status_code == 303 and _count(app) == 2
    page = manager.get("/reports/notes", query_string=YEAR).get_data(as_text=True)
    assert "第二版：本基金执行 2024 年修订的制度。" in page
    assert "<p>本基金执行《民间非营利组织会计制度》。</p><p>捐赠按收款日确认。</p>" in page  # the earlier version, a paragraph a line
    assert page.count('action="/reports/notes/texts/2026/') == 3  # a form for each section


def test_markup_in_a_text_is_printed_never_obeyed(app, login):
    manager = login("manager")
    assert _save(manager, "events", MARKUP).status_code == 303
    for who in ("manager", "auditor"):
        page = login(who).get("/reports/notes", query_string=YEAR).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;加粗&lt;/b&gt; {{ 7*7 }}" in page
        assert "<script>alert(1)" not in page and "<b>加粗</b>" not in page and ">49<" not in page


def test_an_auditor_reads_and_cannot_write(app, login, api_token):
    login("manager")
    _save(login("manager"), "other", "其他事项：无。")
    auditor = login("auditor")
    page = auditor.get("/reports/notes", query_string=YEAR)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "其他事项：无。" in html and "/reports/notes/texts/" not in html and "<textarea" not in html
    assert _save(auditor, "other", "审计员改写").status_code == 403
    token = api_token("auditor")
    put = app.test_client().put("/api/v1/report-texts/2026/other", json={"body": "审计员改写"},
                                headers={"Authorization": f"Bearer {token}"})
    assert put.status_code == 403
    got = app.test_client().get("/api/v1/report-texts/2026", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.get_json()["texts"]["other"]["body"] == "其他事项：无。"
    assert _count(app) == 1
    grantee = login("zhuren")
    assert grantee.get("/reports/notes", query_string=YEAR).status_code == 403


def test_the_api_saves_a_version_and_lists_the_history(app, api_token):
    headers = {"Authorization": f"Bearer {api_token('manager')}"}
    c = app.test_client()
    first = c.put("/api/v1/report-texts/2026/events", json={"body": "第一版"}, headers=headers)
    assert first.status_code == 200 and first.get_json()["changed"] is True
    assert first.get_json()["current"]["written_by"] == "manager"
    same = c.put("/api/v1/report-texts/2026/events", json={"body": "第一版"}, headers=headers)
    assert same.status_code == 200 and same.get_json()["changed"] is False
    c.put("/api/v1/report-texts/2026/events", json={"body": "第二版"}, headers=headers)
    data = c.get("/api/v1/report-texts/2026", headers=headers).get_json()
    assert data["texts"]["events"]["body"] == "第二版" and data["texts"]["policies"] is None
    assert [v["body"] for v in data["history"]["events"]] == ["第二版", "第一版"]
    notes = c.get("/api/v1/reports/notes", query_string=YEAR, headers=headers).get_json()
    assert notes["report"] == "notes" and notes["texts"]["events"]["body"] == "第二版"


@pytest.mark.parametrize("body, url, field, code", [
    ("x" * 20_001, "/2026/policies", "body", "text.too_long"),
    ("响铃\x07字符", "/2026/policies", "body", "text.control"),
    ("方向\u202e覆盖", "/2026/events", "body", "text.control"),
    ("明年的说明", "/2027/policies", "year", "report_text.year"),
    ("未知部分", "/2026/notes", "section", "choice"),
])
def test_bad_input_gets_the_same_answer_on_the_page_and_in_the_api(app, login, api_token, body, url, field, code):
    manager = login("manager")
    page = manager.post(f"/reports/notes/texts{url}", data={"csrf_token": manager.csrf_token, "body": body})
    api = app.test_client().put(f"/api/v1/report-texts{url}", json={"body": body},
                                headers={"Authorization": f"Bearer {api_token('manager')}"})
    assert page.status_code == api.status_code == 400
    problem = api.get_json()
    assert field in problem["errors"] and problem["codes"][field] == [code]
    html = page.get_data(as_text=True)
    if field == "body":  # beside the textarea, with the text as sent kept in it
        assert _codes(html) == {"body": {code}}
    else:  # the form has no such field: the refusal says it at the top
        assert 'role="alert"' in html
    assert _count(app) == 0


def test_the_api_refuses_a_body_that_is_not_text(app, api_token):
    headers = {"Authorization": f"Bearer {api_token('manager')}"}
    for sent in ({"body": 7}, {"body": "ok", "extra": 1}, ["body"]):
        answer = app.test_client().put("/api/v1/report-texts/2026/policies", json=sent, headers=headers)
        assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert _count(app) == 0


def test_the_downloads_and_a_period_that_is_not_a_year(app, login):
    auditor = login("auditor")
    pdf = auditor.get("/reports/notes.pdf", query_string=YEAR)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    csv_ = auditor.get("/reports/notes.csv", query_string=YEAR).get_data(as_text=True)
    assert csv_.startswith("table,key,name,detail,figure,amount") and "donations_by_source" in csv_
    refused = auditor.get("/reports/notes", query_string={"from": "2026-01-01", "to": "2026-11-30"})
    assert refused.status_code == 400
    assert auditor.get("/reports/notes").status_code == 200  # no period: this whole year
