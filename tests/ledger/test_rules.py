"""The rules, as plain functions over plain records: no database needed."""
from __future__ import annotations

from datetime import date

import pytest

from fund_ledger.ledger.accounts import Fund, load_chart
from fund_ledger.ledger.balances import FundPosition
from fund_ledger.ledger.entries import EntryCode, EntryDraft, Posting, parse_number, reversal_postings
from fund_ledger.ledger.rules import PostingContext, validate_draft

ACCOUNTS = {a.code: a for a in load_chart()}
FUNDS = {"GENERAL": Fund("GENERAL", "非限定性基金", False), "AILILIANG": Fund("AILILIANG", "爱力量", True, "困境儿童")}
CTX = PostingContext(ACCOUNTS, FUNDS, date(2000, 1, 1), date(2026, 11, 27), closed_periods=frozenset({"2026-09"}),
                     positions={"AILILIANG": FundPosition(100_00, 30_00)})


def draft(*postings, day=date(2026, 10, 1), memo="摘要", code=EntryCode.MANUAL):
    return EntryDraft(day, code, memo, tuple(postings))


def messages(d, ctx=CTX):
    return [(e.field, e.message, e.code) for e in validate_draft(d, ctx)]


def test_a_balanced_entry_passes():
    assert messages(draft(Posting("1002", "GENERAL", debit=5), Posting("4101", "GENERAL", credit=5))) == []


@pytest.mark.parametrize("postings, expected", [
    ([Posting("1002", "GENERAL", debit=5), Posting("4101", "GENERAL", credit=4)], "debits exceed credits by ¥0.01"),
    ([Posting("1002", "GENERAL", debit=5), Posting("4101", "AILILIANG", credit=5)], "fund AILILIANG does not balance"),
    ([Posting("1002", "GENERAL", debit=5)], "2 to 1000 postings"),
    ([Posting("1002", "GENERAL", debit=5, credit=5), Posting("4101", "GENERAL", credit=0)], "either a debit or a credit"),
    ([Posting("1002", "GENERAL", debit=-5), Posting("4101", "GENERAL", credit=-5)], "must not be negative"),
    ([Posting("1002", "GENERAL", debit=5.0), Posting("4101", "GENERAL", credit=5)], "whole numbers of fen"),
    ([Posting("1002", "GENERAL", debit=True), Posting("4101", "GENERAL", credit=1)], "whole numbers of fen"),
    ([Posting("1002", "GENERAL", debit=10**14), Posting("4101", "GENERAL", credit=10**14)], "larger than"),
    ([Posting("9999", "GENERAL", debit=5), Posting("4101", "GENERAL", credit=5)], "no account '9999'"),
    ([Posting("1002", "NOPE", debit=5), Posting("4101", "NOPE", credit=5)], "no fund 'NOPE'"),
])
def test_malformed_postings_are_named(postings, expected):
    found = messages(draft(*postings))
    assert any(expected in m for _, m, _ in found), found


@pytest.mark.parametrize("memo, expected", [("", "required"), ("   ", "required"), ("x" * 501, "longer than 500"),
                                            ("a\x00b", "control characters")])
def test_memo_rules(memo, expected):
    found = messages(draft(Posting("1002", "GENERAL", debit=5), Posting("4101", "GENERAL", credit=5), memo=memo))
    assert [f for f, m, _ in found if expected in m] == ["memo"]


@pytest.mark.parametrize("day, expected, code", [
    (date(1999, 12, 31), "before the books begin", "invalid"),
    (date(2026, 11, 28), "in the future", "invalid"),
    (date(2026, 9, 15), "period 2026-09 is closed", "closed_period"),
])
def test_dates(day, expected, code):
    found = messages(draft(Posting("1002", "GENERAL", debit=5), Posting("4101", "GENERAL", credit=5), day=day))
    assert [(f, c) for f, m, c in found if expected in m] == [("accounting_date", code)]


def test_money_may_leave_a_fund_only_up_to_what_is_available():
    ok = draft(Posting("5101", "AILILIANG", debit=70_00), Posting("1002", "AILILIANG", credit=70_00))
    too_much = draft(Posting("5101", "AILILIANG", debit=70_01), Posting("1002", "AILILIANG", credit=70_01))
    assert messages(ok) == []
    [(field, message, code)] = messages(too_much)
    assert code == "insufficient_funds"
    assert "¥70.00 available" in message and "¥30.00 reserved" in message and "takes ¥70.01" in message


def test_money_moving_within_a_fund_or_arriving_is_never_refused_for_balance():
    internal = draft(Posting("1001", "AILILIANG", debit=500_00), Posting("1002", "AILILIANG", credit=500_00))
    assert messages(internal) == []


def test_parent_accounts_take_no_postings():
    ctx = PostingContext(ACCOUNTS, FUNDS, date(2000, 1, 1), date(2026, 11, 27), parent_accounts=frozenset({"1002"}))
    found = messages(draft(Posting("1002", "GENERAL", debit=5), Posting("4101", "GENERAL", credit=5)), ctx)
    assert [f for f, m, _ in found if "sub-accounts" in m] == ["postings[0].account"]


def test_reversal_swaps_sides_and_still_balances():
    original = (Posting("1002", "GENERAL", debit=5), Posting("4101", "GENERAL", credit=5))
    undone = reversal_postings(original)
    assert undone == (Posting("1002", "GENERAL", credit=5), Posting("4101", "GENERAL", debit=5))
    holds_it = PostingContext(ACCOUNTS, FUNDS, date(2000, 1, 1), date(2026, 11, 27),
                              positions={"GENERAL": FundPosition(5, 0)})
    assert messages(draft(*undone), holds_it) == []
    assert [c for _, _, c in messages(draft(*undone))] == ["insufficient_funds"]  # not once the money is gone


@pytest.mark.parametrize("text, expected", [("2026-000001", (2026, 1)), ("2026-1234567", (2026, 1234567)),
                                            ("26-000001", None), ("2026-", None), ("2026-0x1", None), ("２０２６-000001", None),
                                            ("2026-١٢", None), ("", None)])
def test_entry_numbers(text, expected):
    assert parse_number(text) == expected


def test_chart_is_the_2004_system_with_names():
    chart = load_chart()
    assert len(chart) == 48
    assert ACCOUNTS["1002"].name == "银行存款" and ACCOUNTS["1002"].monetary
    assert ACCOUNTS["3102"].name == "限定性净资产" and ACCOUNTS["3102"].normal_side.value == "credit"
    assert ACCOUNTS["1502"].normal_side.value == "credit"  # 累计折旧 is a contra asset
    assert {a.code for a in chart if a.monetary} == {"1001", "1002", "1009"}


def test_the_ledger_holds_at_most_what_every_report_can_print():
    from dataclasses import replace

    from fund_ledger.ledger.money import MAX_LEDGER_TOTAL_FEN

    gift = draft(Posting("1002", "GENERAL", debit=500), Posting("4101", "GENERAL", credit=500))
    assert messages(gift, replace(CTX, posted_total=MAX_LEDGER_TOTAL_FEN - 500)) == []
    refused = messages(gift, replace(CTX, posted_total=MAX_LEDGER_TOTAL_FEN - 499))
    assert [(f, code) for f, _, code in refused] == [("postings", "ledger_full")]
    assert "¥9,999,999,999,999,999.99" in refused[0][1]
