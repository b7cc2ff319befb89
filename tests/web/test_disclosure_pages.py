"""信息公开 over HTTP: the public page and API (logged out) list audit reports and published items whose
downloads hash to the listed SHA-256; a manager publishes; bad input is refused with nothing written; markup
is shown, never obeyed; a changed copy is not genuine; the calendar offers a pre-filled publish form."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import date

import pytest
from sqlalchemy import text

from fund_ledger.db.engine import write_session
from fund_ledger.reports.audit_reports import issue_report
from fund_ledger.services import disclosures as svc
from fund_ledger.services.periods import close as close_period
from tests.factories import MANAGER, TODAY, tiny_pdf

PDF = tiny_pdf()
MARKUP = '<script>alert("x")</script><b>粗</b>'


def _rows(app) -> int:
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM published_items")).scalar_one()


def _publish(c, **fields):
    data = {"csrf_token": c.csrf_token, "kind": "annual_report", "title": "2026年度工作报告", "period": "2026", **fields}
    return c.post("/disclosures/publish", data=data, content_type="multipart/form-data")


@pytest.fixture
def issued(app):
    with write_session(app.extensions["fund_ledger.engine"]) as session, session.begin():
        close_period(session, MANAGER, "2026-09", today=TODAY)
        return issue_report(session, MANAGER, "2026-09").sha256


def test_public_page_and_api_list_audit_reports_and_items_whose_bytes_hash_right(app, client, login, issued):
    manager = login("manager")
    assert _publish(manager, file=(io.BytesIO(PDF), "report.pdf")).status_code == 302
    assert _publish(manager, kind="other", title="更正公告", period="", body="第一行\n第二行", corrects_id="1").status_code == 302
    answer = client.get("/api/v1/public/disclosures")  # no token
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert {i["kind"] for i in items} == {"audit_report", "annual_report", "other"}
    assert next(i for i in items if i["kind"] == "audit_report")["sha256"] == issued
    anonymous = app.test_client()
    for item in items:
        assert set(item) >= {"kind", "title", "published_at", "sha256", "url"}
        got = anonymous.get(item["url"])
        assert got.status_code == 200, item
        assert hashlib.sha256(got.data).hexdigest() == item["sha256"]
    correction = next(i for i in items if i["kind"] == "other")
    assert "period" not in correction and correction["corrects"].endswith("/public/disclosures/1/file")
    page = anonymous.get("/disclosures").get_data(as_text=True)
    for item in items:
        assert item["sha256"] in page and item["title"] in page
    assert "Correction of:" in page or "更正" in page
    assert 'href="/disclosures"' in anonymous.get("/").get_data(as_text=True)  # the front door links it


def test_markup_in_title_and_text_is_shown_escaped(app, client, login):
    manager = login("manager")
    assert _publish(manager, kind="other", title=MARKUP, period="", body=MARKUP).status_code == 302
    page = client.get("/disclosures").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>粗</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    got = client.get("/public/disclosures/1/file")
    assert got.data == MARKUP.encode() and got.headers["Content-Type"].startswith("text/plain")
    assert "attachment" in got.headers["Content-Disposition"]


@pytest.mark.parametrize("fields, field", [
    ({}, "file"),                                                 # no file and no text
    ({"file": (io.BytesIO(b"GIF89a not a pdf"), "x.pdf")}, "file"),  # not a PDF
    ({"title": ""}, "title"),
    ({"kind": "secret"}, "kind"),
    ({"period": "<b>", "body": "x"}, "period"),
])
def test_bad_input_on_the_page_and_the_api_writes_nothing(app, client, login, api_token, fields, field):
    manager = login("manager")
    refused = _publish(manager, **{k: (v if not isinstance(v, tuple) else (io.BytesIO(v[0].getvalue()), v[1]))
                                   for k, v in fields.items()})
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    token = api_token("manager")
    api = client.post("/api/v1/disclosures", headers={"Authorization": f"Bearer {token}"},
                      data={"kind": "annual_report", "title": "2026年度工作报告", "period": "2026", **fields},
                      content_type="multipart/form-data")
    assert api.status_code == 400 and field in api.get_json()["errors"], api.get_json()
    assert _rows(app) == 0


def test_the_api_publishes_for_a_manager_only(client, api_token):
    text_item = {"kind": "other", "title": "公告", "body": "正文"}
    assert client.post("/api/v1/disclosures", json=text_item).status_code == 401
    auditor = api_token("auditor")
    assert client.post("/api/v1/disclosures", json=text_item, headers={"Authorization": f"Bearer {auditor}"}).status_code == 403
    manager = api_token("manager")
    made = client.post("/api/v1/disclosures", headers={"Authorization": f"Bearer {manager}"},
                       data={"kind": "annual_report", "title": "2026年度工作报告", "period": "2026",
                             "file": (io.BytesIO(PDF), "r.pdf")}, content_type="multipart/form-data")
    assert made.status_code == 201 and made.get_json()["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_a_changed_pdf_is_refused_as_not_genuine(app, client, login, issued):
    assert _publish(login("manager"), file=(io.BytesIO(PDF), "report.pdf")).status_code == 302
    check = lambda data: client.post("/api/v1/disclosures/verify", data={"file": (io.BytesIO(data), "c.pdf")},  # noqa: E731
                                     content_type="multipart/form-data").get_json()
    assert check(PDF)["genuine"] is True and check(PDF)["item_id"] == 1
    assert check(PDF + b" ")["genuine"] is False
    assert check(PDF.replace(b"obj", b"0bj", 1))["genuine"] is False
    audit_pdf = client.get(client.get("/api/v1/public/disclosures").get_json()["items"][-1]["url"]).data
    with write_session(app.extensions["fund_ledger.engine"]) as session:  # (a large upload's temporary file
        assert svc.verify_file(session, audit_pdf)["kind"] == "audit_report"  # would outlive the test client)
        assert svc.verify_file(session, audit_pdf[:-1])["genuine"] is False
    page = client.get("/disclosures/verify").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    changed = client.post("/disclosures/verify", data={"csrf_token": token, "file": (io.BytesIO(PDF + b"x"), "c.pdf")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-genuine="no"' in changed
    ok = client.post("/disclosures/verify", data={"csrf_token": token, "file": (io.BytesIO(PDF), "c.pdf")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-genuine="yes"' in ok


def test_the_calendar_offers_a_prefilled_publish_form_and_shows_late_publication(app, login, set_today):
    assert 'href="/disclosures/calendar"' in login("manager").get("/overview").get_data(as_text=True)
    set_today(date(2027, 6, 13))
    manager = login("manager")  # (a session from months ago has expired)
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    row = re.search(r'<tr data-duty="annual_report:2026" data-state="late".*?</tr>', page, re.S).group(0)
    link = re.search(r'href="(/disclosures/publish\?[^"]+)"', row).group(1).replace("&amp;", "&")
    form = manager.get(link).get_data(as_text=True)
    assert 'value="annual_report:2026"' in form and 'value="2026年度工作报告"' in form
    typed = _publish(manager, duty="annual_report:2026", body="年度工作报告全文")  # an annual report is a document
    assert typed.status_code == 400 and "须以 PDF 文件公开" in typed.get_data(as_text=True)
    assert _publish(manager, duty="annual_report:2026", file=(io.BytesIO(PDF), "2026.pdf")).status_code == 302
    page = manager.get("/disclosures/calendar").get_data(as_text=True)
    row = re.search(r'<tr data-duty="annual_report:2026" data-state="done_late".*?</tr>', page, re.S).group(0)
    assert "13" in row  # published 13 days late


def test_an_item_answers_only_a_duty_the_books_owe_with_the_kind_that_answers_it(app, login):
    manager = login("manager")
    before = _rows(app)
    for data, field, words in (
            ({"duty": "annual_report:2026", "file": (io.BytesIO(PDF), "x.pdf")}, "duty",
             "账簿中没有需要公开的事项 annual_report:2026"),  # 2026 has not ended on the tests' today: no duty yet
            ({"duty": "annual_report:2025", "kind": "other", "file": (io.BytesIO(PDF), "x.pdf")}, "kind",
             "该事项须以“annual_report”类公开内容回应"),
            ({"duty": "related_party:99999", "kind": "related_party", "body": "假公告"}, "duty", "related_party:99999"),
            ({"duty": "major:1", "kind": "other", "body": "假公告"}, "duty", "major:1"),
            ({"kind": "other", "body": "x", "period": "0000"}, "period", "2026-Q3"),
            ({"kind": "other", "file": (io.BytesIO(b"%PDF-1.4 not really"), "x.pdf")}, "file", "不是可以打开的 PDF 文件")):
        response = _publish(manager, **data)
        page = response.get_data(as_text=True)
        assert response.status_code in (400, 422), (data, response.status_code)
        assert f'aria-describedby="error-{field}"' in page and words in page, (data, page[-3000:])
    assert _rows(app) == before


def test_pages_are_public_or_manager_only(app, client, login):
    assert client.get("/disclosures").status_code == 200
    assert client.get("/disclosures/verify").status_code == 200
    assert client.get("/disclosures/calendar").status_code in (302, 401)
    assert client.get("/disclosures/publish").status_code in (302, 401)
    assert login("auditor").get("/disclosures/calendar").status_code == 403
