"""The annual work report over HTTP (the demo's books, its year 2026 ended by moving the clock to 2027): a draft
downloads marked as one; a manager submits through a confirmation step and every download afterwards is the
stored bytes; a second submission needs a reason and the first stays downloadable; the figures agree with the
statement of activities and the spending-ratio report; bad input is named with nothing written; who may do what;
publishing puts the submitted PDF on 信息公开, where the checker calls it genuine and a changed copy not."""
from __future__ import annotations

import hashlib
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import text

from fund_ledger.db.engine import read_session
from fund_ledger.services import disclosures

YEAR = 2026


@pytest.fixture(autouse=True)
def _next_year(set_today):
    set_today(date(2027, 2, 1))


def _rows(app, table="annual_reports") -> int:
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _bearer(api_token, user):
    return {"Authorization": f"Bearer {api_token(user)}"}


def _submit(c, year=YEAR, **form):
    return c.post(f"/annual-reports/{year}/submit", data={"csrf_token": c.csrf_token, **form})


def test_a_draft_then_a_submission_whose_downloads_are_the_stored_bytes(app, login):
    manager = login("manager")
    page = manager.get("/annual-reports").get_data(as_text=True)
    assert f"/annual-reports/{YEAR}/submit" in page and "/annual-reports/2026.xlsx" in page
    draft = manager.get(f"/annual-reports/{YEAR}.pdf")
    assert draft.status_code == 200 and draft.data.startswith(b"%PDF-")
    assert draft.headers["X-Annual-Report-State"] == "draft" and "X-Content-SHA256" not in draft.headers
    assert "draft" in draft.headers["Content-Disposition"]
    confirm = manager.get(f"/annual-reports/{YEAR}/submit")
    assert confirm.status_code == 200 and 'name="confirm"' in confirm.get_data(as_text=True)
    assert _submit(manager).status_code == 400 and _rows(app) == 0  # not confirmed: asked again
    assert _submit(manager, confirm="yes", audit_reference="鲁信审字〔2027〕第3号").status_code == 302
    assert _rows(app) == 1
    first, second = manager.get(f"/annual-reports/{YEAR}.pdf"), manager.get(f"/annual-reports/{YEAR}.pdf")
    assert first.headers["X-Annual-Report-State"] == "submitted" and first.data == second.data
    assert hashlib.sha256(first.data).hexdigest() == first.headers["X-Content-SHA256"]
    with app.extensions["fund_ledger.engine"].connect() as conn:
        stored, sha = conn.execute(text("SELECT pdf, pdf_sha256 FROM annual_reports")).one()
    assert bytes(stored) == first.data and sha == first.headers["X-Content-SHA256"]
    assert sha[:16] in manager.get("/annual-reports").get_data(as_text=True)


def test_the_figures_agree_with_the_activities_and_the_spending_ratio(client, api_token):
    auth = _bearer(api_token, "auditor")
    answer = client.get(f"/api/v1/annual-reports/{YEAR}", headers=auth).get_json()
    assert answer["state"] == "draft" and answer["report"] is None
    f = answer["figures"]
    activities = client.get(f"/api/v1/reports/activities?from={YEAR}-01-01&to={YEAR}-12-31", headers=auth).get_json()
    ratio = client.get(f"/api/v1/reports/spending-ratio?as_of={YEAR}-12-31", headers=auth).get_json()
    assert Decimal(f["income"]["total"]["total"]) > 0
    assert f["ratios"]["last_year_income"] == ratio["last_year_income"]
    assert f["ratios"]["charitable_spending"] == ratio["charitable_spending"] == f["spending"]["charitable"]
    assert f["ratios"]["management_costs"] == ratio["management_costs"] == f["spending"]["management"]
    assert f["spending"]["total"] == ratio["total_spending"]
    assert [r["verdict"] for r in f["ratios"]["rules"]] == [r["verdict"] for r in ratio["rules"]]
    flat = str(activities)
    for value in (f["income"]["total"]["total"], f["spending"]["total"]):
        assert value in flat
    grants = f["grants"]["largest"]
    assert grants and grants == sorted(grants, key=lambda g: -Decimal(g["amount"]))


def test_the_xlsx_over_the_api_reads_back_as_the_figures(client, api_token):
    auth = _bearer(api_token, "manager")
    made = client.post(f"/api/v1/annual-reports/{YEAR}/submit", json={}, headers=auth)
    assert made.status_code == 201, made.get_json()
    f = client.get(f"/api/v1/annual-reports/{YEAR}", headers=auth).get_json()
    assert f["state"] == "submitted" and f["report"]["id"] == made.get_json()["id"]
    xlsx = client.get(f"/api/v1/annual-reports/{YEAR}.xlsx", headers=auth)
    assert xlsx.headers["X-Content-SHA256"] == made.get_json()["xlsx_sha256"]
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.data))["支出"]
    cells = {r[0].value: r[1].value for r in ws.iter_rows(min_row=4) if r[0].value}
    assert Decimal(str(cells["费用合计（总支出）"])).quantize(Decimal("0.01")) == Decimal(f["figures"]["spending"]["total"])


def test_submitting_again_needs_a_reason_and_the_first_stays(app, login):
    manager = login("manager")
    assert _submit(manager, confirm="yes").status_code == 302
    refused = _submit(manager, confirm="yes")
    assert refused.status_code == 409 and 'data-field="reason" data-code="annual.reason"' in refused.get_data(as_text=True)
    assert _rows(app) == 1
    with app.extensions["fund_ledger.engine"].connect() as conn:
        old_id, old_pdf = conn.execute(text("SELECT id, pdf FROM annual_reports")).one()
    assert _submit(manager, confirm="yes", reason="补记12月的一笔捐赠").status_code == 302
    assert _rows(app) == 2
    assert manager.get(f"/annual-reports/submitted/{old_id}.pdf").data == bytes(old_pdf)
    page = manager.get("/annual-reports").get_data(as_text=True)
    assert "补记12月的一笔捐赠" in page and f"/annual-reports/submitted/{old_id}.xlsx" in page


@pytest.mark.parametrize("year, status, code", [
    ("0", 400, "annual.year"), ("99999", 400, "annual.year"), ("abc", 400, "annual.year"), ("２０２６", 400, "annual.year"),
    ("2027", 422, "annual.not_ended"), ("2030", 422, "annual.not_ended")])
def test_a_bad_year_is_named_and_nothing_written(app, client, api_token, year, status, code):
    auth = _bearer(api_token, "manager")
    for method, url in (("POST", f"/api/v1/annual-reports/{year}/submit"), ("GET", f"/api/v1/annual-reports/{year}"),
                        ("GET", f"/api/v1/annual-reports/{year}.pdf"), ("POST", f"/api/v1/annual-reports/{year}/publish")):
        answer = client.open(url, method=method, json={} if method == "POST" else None, headers=auth)
        if "publish" in url and status == 422:
            assert answer.status_code == 422 and answer.get_json()["codes"] == {"year": ["annual.not_submitted"]}
            continue
        assert answer.status_code == status, (url, answer.get_json())
        assert answer.get_json()["codes"] == {"year": [code]}, url
    assert _rows(app) == 0 and _rows(app, "published_items") == 0


def test_too_long_a_reference_or_a_wrong_type(app, client, api_token):
    auth = _bearer(api_token, "manager")
    for body, field, code in (({"audit_reference": "审" * 201}, "audit_reference", "text.too_long"),
                              ({"reason": 5}, "reason", "text.type"), ({"other": 1}, "other", "unknown_field")):
        answer = client.post(f"/api/v1/annual-reports/{YEAR}/submit", json=body, headers=auth)
        assert answer.status_code == 400 and answer.get_json()["codes"] == {field: [code]}
    assert _rows(app) == 0


def test_who_may_read_and_who_may_submit(app, client, login, api_token):
    auditor = login("auditor")
    assert auditor.get("/annual-reports").status_code == 200
    assert "/submit" not in auditor.get("/annual-reports").get_data(as_text=True)
    assert auditor.get(f"/annual-reports/{YEAR}.xlsx").status_code == 200
    assert _submit(auditor, confirm="yes").status_code == 403
    auth = _bearer(api_token, "auditor")
    assert client.post(f"/api/v1/annual-reports/{YEAR}/submit", json={}, headers=auth).status_code == 403
    assert client.get(f"/api/v1/annual-reports/{YEAR}", headers=auth).status_code == 200
    grantee = login("zhuren")
    assert grantee.get("/annual-reports").status_code == 403
    assert grantee.get(f"/annual-reports/{YEAR}.pdf").status_code == 403
    assert client.get("/api/v1/annual-reports", headers=_bearer(api_token, "zhuren")).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/annual-reports").headers["Location"].startswith("/login")
    assert anonymous.get(f"/api/v1/annual-reports/{YEAR}").status_code == 401
    assert _rows(app) == 0


def test_publishing_the_submission_does_the_calendars_duty(app, login, set_today):
    set_today(date(2027, 3, 1))
    manager = login("manager")
    refused = manager.post(f"/annual-reports/{YEAR}/publish", data={"csrf_token": manager.csrf_token})
    assert refused.status_code == 422 and _rows(app, "published_items") == 0
    assert _submit(manager, confirm="yes").status_code == 302
    pdf = manager.get(f"/annual-reports/{YEAR}.pdf").data
    assert manager.post(f"/annual-reports/{YEAR}/publish", data={"csrf_token": manager.csrf_token}).status_code == 302
    assert _rows(app, "published_items") == 1
    assert 'data-field' not in manager.get("/annual-reports").get_data(as_text=True)
    with read_session(app.extensions["fund_ledger.engine"]) as session:
        states = {s.duty.key: s for s in disclosures.disclosure_calendar(session, date(2027, 3, 1))}
    assert states[f"annual_report:{YEAR}"].state == "done"
    anonymous = app.test_client()
    items = anonymous.get("/api/v1/public/disclosures").get_json()["items"]
    mine = next(i for i in items if i["kind"] == "annual_report")
    assert mine["sha256"] == hashlib.sha256(pdf).hexdigest() and anonymous.get(mine["url"]).data == pdf
    for data, genuine in ((pdf, True), (pdf[:-20] + b"%changed" + pdf[-12:], False)):
        answer = anonymous.post("/api/v1/disclosures/verify", data={"file": (io.BytesIO(data), "a.pdf")},
                                content_type="multipart/form-data")
        assert answer.get_json()["genuine"] is genuine
    again = manager.post(f"/annual-reports/{YEAR}/publish", data={"csrf_token": manager.csrf_token})
    assert again.status_code == 409 and _rows(app, "published_items") == 1
