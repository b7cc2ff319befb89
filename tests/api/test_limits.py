"""The ledger's limits (issue 11): a single amount is at most ¥999,999,999,999.99; everything the ledger holds in
all at most ¥9,999,999,999,999,999.99 (``MAX_LEDGER_TOTAL_FEN``), so every report that can be asked for prints:
two of the largest gifts in a month no longer make that month's audit report a 500 for ever."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from fund_ledger.db.engine import write_session
from fund_ledger.ledger.money import MAX_LEDGER_TOTAL_FEN
from tests.db.tamper import disable_guards

LARGEST = "999999999999.99"
pytestmark = pytest.mark.both_databases  # the running balances, the triggers and the report's sums: both databases

OUT_PATTERN = re.compile(r"^-?[0-9]{1,16}\.[0-9]{2}$")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _donor(client, headers) -> int:
    response = client.post("/api/v1/donors", headers=headers, json={"name": "张店区某企业", "kind": "organisation"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _gift(client, headers, donor: int, amount: str, day: str = "2026-10-05"):
    return client.post("/api/v1/donations", headers=headers, json={
        "donor_id": donor, "fund_id": 1, "amount": amount, "received_on": day, "channel": "bank"})


def _entries(app) -> int:
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM entries")).scalar_one()


def test_two_of_the_largest_gifts_in_a_month_still_report(app, client, api_token):
    manager = bearer(api_token("manager"))
    donor = _donor(client, manager)
    for _ in range(2):
        response = _gift(client, manager, donor, LARGEST)
        assert response.status_code == 201, response.get_json()
    fund = client.get("/api/v1/funds/1", headers=manager).get_json()
    assert all(OUT_PATTERN.match(fund[k]) for k in ("balance", "reserved", "available")), fund
    assert int(fund["available"].split(".")[0]) > 10**12  # more than any one amount may be

    pdf = client.get("/api/v1/reports/trial-balance?format=pdf&as_of=2026-10-31", headers=manager)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    for period in ("2026-09", "2026-10"):
        assert client.post(f"/api/v1/periods/{period}/close", headers=manager).status_code == 201
    report = client.post("/api/v1/audit-reports", headers=manager, json={"period": "2026-10"})
    assert report.status_code == 201, report.get_json()


def test_the_ledger_refuses_to_hold_more_than_every_report_can_print(app, client, api_token):
    manager = bearer(api_token("manager"))
    donor = _donor(client, manager)
    with write_session(app.extensions["fund_ledger.engine"]) as session, session.begin():
        disable_guards(session)  # stand in for ten thousand of the largest gifts
        posted = session.execute(text("SELECT coalesce(sum(debits_posted), 0) FROM account_balances")).scalar_one()
        session.execute(text("UPDATE account_balances SET debits_posted = debits_posted + :more "
                             "WHERE account_code = '1002' AND fund_code = 'GENERAL'"),
                        {"more": MAX_LEDGER_TOTAL_FEN - int(posted) - 100})
    before = _entries(app)
    refused = _gift(client, manager, donor, "1.01")
    assert refused.status_code == 422, refused.get_json()
    assert "ledger_full" in str(refused.get_json()), refused.get_json()
    assert _entries(app) == before
    assert _gift(client, manager, donor, "1.00").status_code == 201  # exactly full is still allowed
