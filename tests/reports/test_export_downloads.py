"""Exports for accountants: the journal through a date, downloaded from the page or the API, is what
bean-check and hledger read, and their balances equal our trial balance as of that date."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from fund_ledger.db import repository as repo
from fund_ledger.reports.trial_balance import build_trial_balance
from tests.reports.test_export import beancount_witness, hledger_csv, per_account, require_tool

pytestmark = pytest.mark.slow
THROUGH = date(2026, 10, 31)


def _as_of(app, day: date) -> dict[str, int]:
    """Debits less credits per account code as of ``day``, from our trial balance."""
    with Session(app.extensions["fund_ledger.engine"]) as s:
        tb = build_trial_balance(s, day)
    return {a.code: a.debit - a.credit for a in tb.accounts if a.debit != a.credit}


def test_the_journal_through_a_date_matches_the_witnesses(app, login, api_token, tmp_path):
    bean_check, hledger = require_tool("bean-check"), require_tool("hledger")
    page = login("auditor").get(f"/export/journal.beancount?through={THROUGH.isoformat()}")
    assert page.status_code == 200 and page.headers["Content-Disposition"].startswith("attachment;")
    assert "fund-ledger-2026-10-31.beancount" in page.headers["Content-Disposition"]
    bean = tmp_path / "books.beancount"
    bean.write_bytes(page.data)
    api = app.test_client().get(f"/api/v1/export/journal?format=ledger&through={THROUGH.isoformat()}",
                                headers={"Authorization": f"Bearer {api_token('manager')}"})
    assert api.status_code == 200
    journal = tmp_path / "books.journal"
    journal.write_bytes(api.data)

    import subprocess
    subprocess.run([bean_check, str(bean)], check=True, capture_output=True)
    with Session(app.extensions["fund_ledger.engine"]) as s:
        bean_balances, transactions = beancount_witness(bean)
        assert transactions and max(t.date for t in transactions) <= THROUGH
        assert len(transactions) < repo.chain_head(s)[0]  # November's entries are left out
        ours = _as_of(app, THROUGH)
        assert {k: v for k, v in per_account(s, bean_balances).items() if v} == ours
        assert {k: v for k, v in per_account(s, hledger_csv(hledger, journal)).items() if v} == ours


def test_bad_exports_are_refused(app, login, api_token):
    auditor = login("auditor")
    assert auditor.get("/export/journal.xlsx").status_code == 404
    assert auditor.get("/export/journal.ledger?through=2026-W40-1").status_code == 400
    assert auditor.get("/export/journal.ledger?through=31/10/2026").status_code == 400
    h = {"Authorization": f"Bearer {api_token('auditor')}"}
    bad = app.test_client().get("/api/v1/export/journal?format=csv", headers=h)
    assert bad.status_code == 400 and "format" in bad.get_json()["errors"]
    assert app.test_client().get("/api/v1/export/journal?format=ledger&through=2026-13-01", headers=h).status_code == 400
    assert login("zhuren").get("/export").status_code == 403
    assert "Beancount" in auditor.get("/export").get_data(as_text=True)
