"""A generated year (tests/generated_year.py: ~5,000 gifts, ~100 grants, refunds, returns, costs, transfers,
all through the services) read by every statement that must agree with another: the 现金流量表 with the
资产负债表's 货币资金 and with ``hledger cashflow`` on our export, the 业务活动表 and the spending-ratio check
with the gifts recorded, each fund's trial balance with itself, and ``verify`` with the chain.

The year is built once per database, then only read."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta

import pytest

from fund_ledger.db import repository as repo
from fund_ledger.ledger import statements as ls
from fund_ledger.reports import statements as st
from fund_ledger.reports.trial_balance import build_trial_balance
from fund_ledger.services import related_parties
from fund_ledger.services.verify import verify_ledger
from tests.conftest import TODAY
from tests.generated_year import build_year
from tests.reports.test_cash_flow import cash_at, check, lines
from tests.reports.test_export import export_to, hledger_fen, per_account, require_tool, run

pytestmark = pytest.mark.slow


def test_a_generated_year_reads_alike_in_every_statement(session, tmp_path):
    """One test per database, building the year once (a module-scoped ledger would be built again on each
    pytest-xdist worker that ran one of its tests)."""
    year = build_year(session, year=2025)
    cash_flow_matches_the_position_and_hledger(session, year, tmp_path)
    cash_flow_lines_are_what_was_recorded(session, year)
    activities_and_spending_ratio_agree_with_the_gifts(session, year)
    the_annual_report_and_the_notes_agree_with_the_statements(session, year)
    each_fund_balances_and_the_chain_verifies(session, year)


def periods(year) -> list[tuple[date, date]]:
    """The year, one of its months, and the next year up to today (the January return falls in it)."""
    return [(year.start, year.end), (date(year.year, 9, 1), date(year.year, 9, 30)), (year.end + timedelta(days=1), TODAY)]


def hledger_cashflow(path, start: date, end: date) -> dict[str, int]:
    """``hledger -f FILE cashflow -b FROM -e TO+1 --flat -O csv``: the change of each cash-typed account
    (hledger's end date is exclusive)."""
    hledger = require_tool("hledger")
    out = run(hledger, "-f", str(path), "cashflow", "-b", start.isoformat(), "-e", (end + timedelta(days=1)).isoformat(),
              "--flat", "--no-total", "--empty", "-O", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1][0] == "Account" and rows[2][0] == "Cash flows", rows[:3]
    return {account: hledger_fen(amount) for account, amount in rows[3:] if account}


def cash_flow_matches_the_position_and_hledger(session, year, tmp_path) -> None:
    path = tmp_path / "books.journal"
    export_to(session, "ledger", path)
    for start, end in periods(year):
        report = check(session, start, end, entry_by_entry=False)  # net change = 货币资金 at end − at start − 1
        assert report.net_change == cash_at(session, end) - cash_at(session, start - timedelta(days=1))
        witness = per_account(session, hledger_cashflow(path, start, end))
        assert set(witness) <= set(ls.CASH_ACCOUNTS) and sum(witness.values()) == report.net_change, (start, end)
    # per cash account too: the books begin with the year, so each cash account's balance at its end is
    # what hledger says the account did over the year
    witness = per_account(session, hledger_cashflow(path, year.start, year.end))
    tb = build_trial_balance(session, year.end, today=TODAY)
    assert {r.code: r.debit - r.credit for r in tb.accounts if r.code in ls.CASH_ACCOUNTS} == witness


def cash_flow_lines_are_what_was_recorded(session, year) -> None:
    got = lines(check(session, year.start, year.end, entry_by_entry=False))
    assert got["donations"] == year.gifts - year.refunds  # every gift came in as cash; refunds net from it
    assert got["grants_paid"] == year.grants_paid and got["other_operating_in"] == year.returned
    assert got["staff_paid"] > 0 and got["purchases_paid"] > 0 and "opening_balances" not in got
    after = lines(check(session, year.end + timedelta(days=1), TODAY, entry_by_entry=False))
    assert after["other_operating_in"] == year.returned_next_year > 0  # December's grant, partly back in January
    assert after["net_change"] == year.returned_next_year


def activities_and_spending_ratio_agree_with_the_gifts(session, year) -> None:
    activities = st.activities(session, year.start, year.end)
    assert activities.figures.income["donations"].total == year.gifts - year.refunds
    cost = {s.key: c.total for s, c in activities.expenses}  # the 业务活动成本 nets the returns out of the grants
    assert cost == {"programme": year.grants_paid - year.returned, "management": year.management,
                    "fundraising": year.fundraising, "other_expenses": 0}
    ratio = st.spending_ratio(session, TODAY, today=TODAY)  # next year's spending against the generated year
    assert ratio.last_year_income == year.gifts - year.refunds
    assert ratio.charitable_spending == -year.returned_next_year  # January's return, nothing spent since
    same_year = st.spending_ratio(session, year.end, today=TODAY)
    assert (same_year.charitable_spending, same_year.management_costs, same_year.total_spending) == (
        year.grants_paid - year.returned, year.management, year.grants_paid - year.returned + year.management
        + year.fundraising)


def the_annual_report_and_the_notes_agree_with_the_statements(session, year) -> None:
    """Issue 13: the annual work report's totals are the 业务活动表's and the spending-ratio report's; the notes
    build (they refuse to when a table disagrees with its statement) and account for every gift and grant."""
    from fund_ledger.ledger.money import parse_amount
    from fund_ledger.reports.annual_report import annual_figures
    from fund_ledger.reports.statements.notes import notes

    f, a = annual_figures(session, year.year), st.activities(session, year.start, year.end)
    ratio = st.spending_ratio(session, year.end, today=TODAY)

    def fen(text: str) -> int:
        return parse_amount(text, allow_zero=True, allow_negative=True)

    assert fen(f["income"]["total"]["total"]) == a.income_total.total
    donations = f["income"]["donations"]
    assert fen(donations["restricted"]) + fen(donations["unrestricted"]) == year.gifts - year.refunds
    assert (fen(f["spending"]["total"]), fen(f["spending"]["charitable"]), fen(f["spending"]["management"])) == (
        a.expense_total.total, ratio.charitable_spending, ratio.management_costs)
    assert fen(f["spending"]["total"]) == ratio.total_spending
    assert fen(f["net_assets"]["end"]["total"]) - fen(f["net_assets"]["start"]["total"]) == \
        a.income_total.total - a.expense_total.total
    assert len(f["grants"]["largest"]) == 10 and f["related_parties"]["count"] == len(
        related_parties.transactions(session, year.start, year.end)) > 0
    n = notes(session, year.year, today=TODAY)
    assert n.source_total.net == year.gifts - year.refunds
    assert (n.grants_paid, n.grants_returned) == (year.grants_paid, year.returned)
    assert n.management_costs == year.management


def each_fund_balances_and_the_chain_verifies(session, year) -> None:
    per_fund: dict[str, int] = defaultdict(int)
    for (_code, fund), b in repo.stored_balances(session).items():
        per_fund[fund] += b.debits_posted - b.credits_posted
    assert set(per_fund) == set(year.funds) and set(per_fund.values()) == {0}
    tb = build_trial_balance(session, year.end, today=TODAY)
    assert tb.total_debit == tb.total_credit and tb.entries > year.gift_count + year.grant_count
    for fund_id in year.funds.values():
        st.financial_position(session, year.end, fund_id, today=TODAY)  # asserts net assets = assets − liabilities
    short = {f.code: f for f in tb.funds}["HUHUA"]
    assert short.balance == 0  # opened in April, spent out by its end date
    report = verify_ledger(session)
    assert report.ok and report.entries == tb.entries, report.problems[:3]
    assert {t.kind for t in related_parties.transactions(session, year.start, year.end)} >= {"gift", "grant"}
