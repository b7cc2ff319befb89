"""The 现金流量表's classifier (pure): an entry's counter-accounts decide its lines, and whatever the entry,
the lines add up to its change in cash."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as hs

from fund_ledger.ledger.accounts import load_chart
from fund_ledger.ledger.statements import cash_flow as cf

CHART = [a.code for a in load_chart()] + ["1002.01", "5301.01", "4101.02"]


def lines_of(postings, kind="normal"):
    return {k: v for k, v in cf.classify_entry(postings, kind).items() if v}


def test_a_gift_to_the_bank_is_donations_received():
    assert lines_of([("1002", 100_00, 0), ("4101", 0, 100_00)]) == {"donations": 100_00}


def test_a_transfer_between_cash_accounts_is_no_flow():
    assert lines_of([("1009", 500_00, 0), ("1002", 0, 500_00)]) == {}


def test_a_restricted_grant_payment_is_one_outflow_and_its_release_nets_away():
    postings = [("5101", 300_00, 0), ("1002", 0, 300_00), ("3102", 300_00, 0), ("3101", 0, 300_00)]
    assert lines_of(postings) == {"grants_paid": 300_00}


def test_money_given_back_by_a_grantee_is_other_operating_cash_received():
    postings = [("1002", 50_00, 0), ("5101", 0, 50_00), ("3101", 50_00, 0), ("3102", 0, 50_00)]
    assert lines_of(postings, "normal") == {"other_operating_in": 50_00}


def test_a_refund_lowers_donations_received_and_a_reversed_payment_lowers_grants_paid():
    assert lines_of([("4101", 100_00, 0), ("1002", 0, 100_00)], "reversal") == {"donations": -100_00}
    assert lines_of([("1002", 300_00, 0), ("5101", 0, 300_00)], "reversal") == {"grants_paid": -300_00}


def test_an_accrual_without_cash_is_no_flow():
    assert lines_of([("5201", 80_00, 0), ("2202", 0, 80_00)]) == {}


def test_the_table_routes_investing_and_financing():
    assert lines_of([("1501", 9_000_00, 0), ("1002", 0, 9_000_00)]) == {"fixed_assets_paid": 9_000_00}
    assert lines_of([("1002", 20_000_00, 0), ("2101", 0, 20_000_00)]) == {"borrowings": 20_000_00}
    assert lines_of([("2101", 20_000_00, 0), ("1002", 0, 20_000_00)]) == {"repayments": 20_000_00}
    assert lines_of([("1002", 12_00, 0), ("4601", 0, 12_00)]) == {"investment_income": 12_00}
    assert lines_of([("2204", 6_000_00, 0), ("1002", 0, 6_000_00)]) == {"staff_paid": 6_000_00}


def test_a_sub_account_follows_its_parent_and_opening_balances_are_their_own_line():
    assert cf.flow_class("4101.02") == "donations" and cf.flow_class("9999") == "other"
    assert lines_of([("1002.01", 10_00, 0), ("3101", 0, 10_00)], "opening") == {"opening_balances": 10_00}


def test_a_reversed_opening_balance_nets_against_the_opening_line_not_other_operating():
    opening, reversal = [("1002", 9_000_00, 0), ("3101", 0, 9_000_00)], [("1002", 0, 9_000_00), ("3101", 9_000_00, 0)]
    assert cf.entry_kind("reversal", "opening") == "opening"
    assert cf.entry_kind("reversal", "donation") == "reversal" and cf.entry_kind("opening") == "opening"
    assert lines_of(reversal, cf.entry_kind("reversal", "opening")) == {"opening_balances": -9_000_00}
    both = cf.entry_class_sums(opening, "opening") + cf.entry_class_sums(reversal, cf.entry_kind("reversal", "opening"))
    assert {k: v for k, v in cf.cash_flow_figures(both).lines.items() if v} == {}
    # a reversal of anything else still goes back to its original's line
    assert lines_of(reversal, cf.entry_kind("reversal", "manual")) == {"other_operating_in": -9_000_00}


def test_every_chart_account_has_a_class_whose_lines_exist():
    for code in CHART:
        c = cf.CLASS[cf.flow_class(code)]
        assert cf.LINE[c.inflow].kind in ("inflow", "outflow") and cf.LINE[c.outflow].kind in ("inflow", "outflow")


def test_the_figures_add_sections_up():
    sums = cf.entry_class_sums([("1002", 100_00, 0), ("4101", 0, 100_00)]) + \
        cf.entry_class_sums([("5101", 30_00, 0), ("1002", 0, 30_00)]) + \
        cf.entry_class_sums([("1501", 20_00, 0), ("1002", 0, 20_00)])
    lines = cf.cash_flow_figures(sums).lines
    assert (lines["operating_in"], lines["operating_out"], lines["operating_net"]) == (100_00, 30_00, 70_00)
    assert (lines["investing_net"], lines["financing_net"], lines["fx"], lines["net_change"]) == (-20_00, 0, 0, 50_00)


@hs.composite
def balanced_entries(draw):
    """A random entry: postings on random accounts of the chart (cash included), debits equal to credits."""
    n = draw(hs.integers(1, 5))
    debits = [(draw(hs.sampled_from(CHART)), draw(hs.integers(1, 10**9)), 0) for _ in range(n)]
    total = sum(d for _c, d, _x in debits)
    cuts = sorted(draw(hs.lists(hs.integers(1, total - 1), max_size=4, unique=True))) if total > 1 else []
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, total])]
    credits = [(draw(hs.sampled_from(CHART)), 0, amount) for amount in parts]
    return draw(hs.permutations(debits + credits))


@settings(max_examples=300, deadline=None)
@given(entries=hs.lists(hs.tuples(balanced_entries(), hs.sampled_from(["normal", "reversal", "opening"])),
                        max_size=6))
def test_the_lines_always_sum_to_the_change_in_cash(entries):
    sums = [s for postings, kind in entries for s in cf.entry_class_sums(postings, kind)]
    cash = sum(d - c for postings, _k in entries for code, d, c in postings if cf.is_cash(code))
    figures = cf.cash_flow_figures(sums)
    assert figures.net_change == cash
    assert cf.signed_total(cf.route(sums)) == cash
    for postings, kind in entries:
        assert cf.signed_total(cf.classify_entry(postings, kind)) == sum(
            d - c for code, d, c in postings if cf.is_cash(code))
