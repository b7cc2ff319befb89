"""Journal entries and periods through the JSON API, on both databases: reading with filters, reversing
(idempotent), closing a month or a year."""
from __future__ import annotations

import pytest

from tests.api.test_donations_api import Api, assert_problem, count, sql

# The demo story: 2026-09 holds entries 1-4, 2026-10 entries 5-9 (a gift reversed and recorded again, a grant
# paid with its release), 2026-11 entries 10-12.


@pytest.fixture
def api(client, api_token):
    return Api(client, api_token("manager"))


@pytest.fixture
def auditor(client, api_token):
    return Api(client, api_token("auditor"))


def test_entries_come_in_chain_order_with_postings_and_money_as_strings(app, auditor):
    body = auditor.get("/entries", per_page=200).get_json()
    assert body["total"] == count(app, "entries") == len(body["items"])
    assert [e["seq"] for e in body["items"]] == list(range(1, body["total"] + 1))
    first = body["items"][0]
    assert first["number"] == "2026-000001" and first["code"] == "donation"
    assert first["postings"][0] == {"line": 1, "account": "1002", "account_name": "银行存款", "fund": "AILILIANG",
                                    "fund_id": first["postings"][0]["fund_id"], "fund_name": "爱力量",
                                    "debit": "100000.00", "credit": "0.00"}
    assert first["total"] == "100000.00" and len(first["hash"]) == 64
    paged = auditor.get("/entries", per_page=3, page=2).get_json()
    assert [e["seq"] for e in paged["items"]] == [4, 5, 6] and paged["total"] == body["total"]


def test_entries_filter_by_dates_fund_and_account(app, auditor):
    funds = {f["code"]: f["id"] for f in auditor.get("/funds").get_json()["items"]}
    september = auditor.get("/entries", **{"from": "2026-09-01", "to": "2026-09-30"}).get_json()
    assert september["total"] == 4
    assert all("2026-09-01" <= e["accounting_date"] <= "2026-09-30" for e in september["items"])
    love = auditor.get("/entries", fund_id=funds["AILILIANG"], per_page=200).get_json()["items"]
    assert love and all(any(p["fund"] == "AILILIANG" for p in e["postings"]) for e in love)
    cash = auditor.get("/entries", account="1001", per_page=200).get_json()["items"]
    assert cash and all(any(p["account"] == "1001" for p in e["postings"]) for e in cash)
    assert auditor.get("/entries", fund_id=999999).get_json() == {"items": [], "total": 0, "page": 1, "per_page": 50}


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-9-1"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2026-10-02", "to": "2026-10-01"}, "to"),
    ({"fund_id": "x"}, "fund_id"),
    ({"fund_id": "99999999999"}, "fund_id"),
    ({"account": "10'02"}, "account"),
    ({"per_page": "201"}, "per_page"),
    ({"page": "0"}, "page"),
])
def test_malformed_filters_are_400_naming_the_field(auditor, params, field):
    assert_problem(auditor.get("/entries", **params), 400, field)


def test_one_entry_by_number_or_404(auditor):
    body = auditor.get("/entries/2026-000005").get_json()
    assert body["number"] == "2026-000005" and body["reversed_by"] == "2026-000006"
    assert auditor.get("/entries/2026-000006").get_json()["reverses"] == "2026-000005"
    for missing in ("2026-999999", "1999-000001", "nonsense", "2026-0000010000000000"):
        assert_problem(auditor.get(f"/entries/{missing}"), 404)


@pytest.mark.both_databases
def test_a_manager_reverses_an_entry_once_and_a_retry_with_the_key_moves_nothing(app, api, auditor):
    before = count(app, "entries")
    first = api.post("/entries/2026-000012/reverse", {"reason": "记错基金"}, key="rev-1")
    assert first.status_code == 201, first.get_json()
    reversal = first.get_json()
    assert reversal["code"] == "reversal" and reversal["reverses"] == "2026-000012"
    assert "记错基金" in reversal["memo"]
    assert [(p["debit"], p["credit"]) for p in reversal["postings"]] == [("0.00", "120.00"), ("120.00", "0.00")]
    again = api.post("/entries/2026-000012/reverse", {"reason": "记错基金"}, key="rev-1")
    assert again.status_code == 201 and again.get_json() == reversal
    assert count(app, "entries") == before + 1
    assert_problem(api.post("/entries/2026-000012/reverse", {"reason": "另一个原因"}, key="rev-1"), 409, "Idempotency-Key")
    assert_problem(api.post("/entries/2026-000012/reverse", {"reason": "again"}, key="rev-2"), 409)
    assert_problem(api.post(f"/entries/{reversal['number']}/reverse", {"reason": "x"}), 422)
    assert auditor.get("/entries/2026-000012").get_json()["reversed_by"] == reversal["number"]
    assert count(app, "entries") == before + 1


@pytest.mark.parametrize("body, field", [({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "x" * 301}, "reason"),
                                         ({"reason": "x", "on": "2026/11/01"}, "on")])
def test_a_reversal_needs_a_reason_and_a_real_date(api, body, field):
    assert_problem(api.post("/entries/2026-000012/reverse", body), 400, field)


def test_reversing_into_a_closed_month_is_refused(api):
    assert api.post("/periods/2026-10/close").status_code == 201
    assert_problem(api.post("/entries/2026-000012/reverse", {"reason": "x", "on": "2026-10-15"}), 422)


def test_an_entry_a_gift_or_grant_owns_is_corrected_through_it_not_reversed_alone(app, api):
    """The demo's 2026-000002 is 王秀兰's gift and 2026-000009 the payment to 筑仁成长: reversed alone, the gift or
    the grant would go on saying the money moved. Refunds and use reports do it, in step."""
    before = count(app, "entries")
    for number, owner in (("2026-000002", "donation"), ("2026-000009", "disbursement")):
        response = api.post(f"/entries/{number}/reverse", {"reason": "x"})
        assert_problem(response, 422)
        assert owner in response.get_json()["detail"]
    assert count(app, "entries") == before


def test_auditors_read_but_do_not_reverse_or_close(app, auditor):
    assert auditor.post("/entries/2026-000012/reverse", {"reason": "x"}).status_code == 403
    assert auditor.post("/periods/2026-09/close").status_code == 403


# ---------------------------------------------------------------------------------------------- periods

def test_periods_list_every_month_and_closing_one_seals_it(app, api, auditor):
    before = auditor.get("/periods").get_json()
    assert [p["period"] for p in before["items"]] == ["2026-11", "2026-10", "2026-09"]
    assert all(p["status"] == "open" for p in before["items"])
    assert [p["entry_count"] for p in before["items"]] == [3, 5, 4]
    assert before["items"][0]["ended"] is False and before["items"][1]["ended"] is True
    response = api.post("/periods/2026-09/close")
    assert response.status_code == 201, response.get_json()
    closed = response.get_json()["items"]
    assert [p["period"] for p in closed] == ["2026-09"]
    sealed = closed[0]
    assert sealed["status"] == "closed" and sealed["closed_by"] == "manager" and sealed["entry_count"] == 4
    assert sealed["head_seq"] == count(app, "entries") and len(sealed["seal"]) == 64
    assert auditor.get("/periods").get_json()["items"][2] == sealed
    assert_problem(api.post("/periods/2026-09/close"), 409)
    assert_problem(api.post("/periods/2026-11/close"), 422)
    for bad in ("2026-13", "2026-9", "26-09", "2026-09-01", "199"):
        assert_problem(api.post(f"/periods/{bad}/close"), 400, "period")


def test_closing_a_year_closes_its_open_months_in_order(app, api, auditor):
    assert api.post("/periods/2025-03/close").status_code == 201
    response = api.post("/periods/2025/close")
    assert response.status_code == 201, response.get_json()
    assert [p["period"] for p in response.get_json()["items"]] == [f"2025-{n:02d}" for n in range(1, 13) if n != 3]
    assert_problem(api.post("/periods/2025/close"), 409)
    assert_problem(api.post("/periods/2026/close"), 422)
    assert auditor.get("/periods", per_page=200).get_json()["total"] == 12 + 11  # 2025-01 .. 2026-11
    assert sql(app, "SELECT count(*) FROM audit_log WHERE action = 'period.close'")[0][0] == 12


@pytest.mark.parametrize("period", ["0000-01", "1999-12", "2026-13", "２０２６-01"])
def test_a_month_the_books_cannot_hold_is_a_400(api, period):
    assert_problem(api.post(f"/periods/{period}/close"), 400)
    assert_problem(api.post("/audit-reports", {"period": period}), 400)
